using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api;

public sealed record QueueStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ready")] long Ready,
    [property: JsonPropertyName("unacked")] long Unacked,
    [property: JsonPropertyName("consumers")] long Consumers);
