using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api;

/// <summary>PACS pull jobs: active jobs and their studies by state.</summary>
public sealed record PullStatus(
    [property: JsonPropertyName("active_jobs")] int ActiveJobs,
    [property: JsonPropertyName("pending")] int Pending,
    [property: JsonPropertyName("retrieving")] int Retrieving,
    [property: JsonPropertyName("received")] int Received,
    [property: JsonPropertyName("failed")] int Failed);
