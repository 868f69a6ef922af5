using MuraPipeline.Contracts;

namespace MuraPipeline.Data;

/// <summary>One file as ingest found it: its study and instance, and where the file is kept or, when it failed, put.</summary>
/// <summary>One file's instance as ingest files it: its keys, its study type and what said so (null: "dicom" when a type is given), and why its study is out of scope, if it is.</summary>
public sealed record InstanceFile(string StudyInstanceUid, string Source, string? BodyPart, string? PatientId, string SopInstanceUid, string? ViewPosition, string KeptAt, string FailedAt, string? BodyPartSource = null, string? OutOfScope = null)
{
    public string? ResolvedBodyPartSource => BodyPart is null && OutOfScope is null ? null : BodyPartSource ?? StudyTypeCall.Dicom;
}
