namespace MuraPipeline.Phantoms;

public sealed record PhantomStudy(
    int Index,
    string StudyInstanceUid,
    string SeriesInstanceUid,
    string BodyPart,
    bool Abnormal,
    string Finding,
    string PatientName,
    string PatientId,
    string PatientBirthDate,
    string PatientSex,
    string StudyDate,
    string AccessionNumber,
    string Laterality,
    bool ComputedRadiography,
    IReadOnlyList<PhantomView> Views);
