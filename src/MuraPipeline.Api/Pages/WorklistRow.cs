namespace MuraPipeline.Api.Pages;

/// <summary>One row of the worklist.</summary>
/// <remarks><see cref="BodyPartSource"/> says where the study type came from (dicom, description, folder, model);
/// <see cref="OutOfScope"/> is the reason a study outside the seven was set aside.</remarks>
public sealed record WorklistRow(string StudyInstanceUid, string? BodyPart, string State, double? Score, bool? Abnormal, int Views, int FailedViews, DateTimeOffset ReceivedAt, string? Model, bool? Verdict, bool Mismatch, string? BodyPartSource = null, string? OutOfScope = null);
