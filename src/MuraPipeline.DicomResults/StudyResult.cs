using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>
/// A scored study, ready to be written as DICOM: the source's patient and study attributes (copied element by element,
/// character set included), the study score and threshold, and the scored views. <see cref="BodyPartSource"/> says
/// what named the study type (dicom, description, folder, model), as the study records it.
/// </summary>
public sealed record StudyResult(
    string StudyInstanceUid,
    DicomDataset Source,
    string? BodyPart,
    double Score,
    double Threshold,
    string ModelSha256,
    string ModelName,
    DateTimeOffset ScoredAt,
    IReadOnlyList<ViewResult> Views,
    bool Abnormal,
    string? BodyPartSource = null);
