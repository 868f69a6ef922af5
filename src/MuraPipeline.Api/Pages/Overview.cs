using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Api.Access;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using static MuraPipeline.Api.Access.ConsolePages;

namespace MuraPipeline.Api.Pages;

/// <summary>What the overview page polls: the very document of /api/status, the last hour's scoring per minute, and the replicas seen.</summary>
public sealed record Overview(
    [property: JsonPropertyName("status")] PipelineStatus Status,
    [property: JsonPropertyName("scored_per_minute_last_hour")] int[] ScoredPerMinute,
    [property: JsonPropertyName("replicas")] IReadOnlyList<ReplicaRow> Replicas);
