using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Contracts;

namespace MuraPipeline.Api.Pages;

public sealed record StudyDetail(Study Study, double? Threshold, IReadOnlyList<StudyView> Views, IReadOnlyList<VerdictRow> Verdicts, IReadOnlyList<AuditEvent> Audit, string? Next);
