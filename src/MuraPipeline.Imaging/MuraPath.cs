using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging;

/// <summary>A view's place in a MURA-layout tree: <c>…/XR_WRIST/patient11185/study1_positive/image1.png</c>.</summary>
public sealed record MuraPath(string StudyKey, string StudyType, string Patient, bool? Positive, string FileName)
{
    /// <summary>A stable UID for the study folder, the same wherever the tree is mounted.</summary>
    public string StudyInstanceUid => MuraLayout.StudyUid(StudyKey);

    public string SopInstanceUid => DicomUid.FromName($"mura/{StudyKey}/{FileName}");
}
