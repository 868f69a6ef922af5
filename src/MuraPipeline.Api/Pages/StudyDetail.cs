using MuraPipeline.Data;

namespace MuraPipeline.Api.Pages;

public sealed record StudyDetail(Study Study, double? Threshold, IReadOnlyList<StudyView> Views, IReadOnlyList<VerdictRow> Verdicts, IReadOnlyList<AuditEvent> Audit, string? Next);
