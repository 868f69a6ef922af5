using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api;

/// <summary>The results outbox: objects made, and deliveries by state.</summary>
public sealed record ResultsStatus(
    [property: JsonPropertyName("objects")] int Objects,
    [property: JsonPropertyName("pending")] int Pending,
    [property: JsonPropertyName("sent")] int Sent,
    [property: JsonPropertyName("failed")] int Failed);
