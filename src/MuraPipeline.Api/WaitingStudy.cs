using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api;

public sealed record WaitingStudy(
    [property: JsonPropertyName("study_instance_uid")] string StudyInstanceUid,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("age_seconds")] double AgeSeconds);
