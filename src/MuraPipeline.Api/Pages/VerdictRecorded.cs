using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Api.Access;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using static MuraPipeline.Api.Access.ConsolePages;

namespace MuraPipeline.Api.Pages;

/// <summary>What recording a verdict did: refused with a reason, the study unknown, or recorded (possibly a repeat).</summary>
public sealed record VerdictRecorded(string? Problem, bool UnknownStudy, long? Id, bool Duplicate);
