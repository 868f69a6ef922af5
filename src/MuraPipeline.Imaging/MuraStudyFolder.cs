namespace MuraPipeline.Imaging;

/// <summary>A MURA-layout study folder: <c>XR_WRIST/patient11185/study1_positive</c> (the key, whatever is mounted above it).</summary>
public sealed record MuraStudyFolder(string StudyKey, string StudyType, string Patient, bool? Positive)
{
    public string StudyInstanceUid => MuraLayout.StudyUid(StudyKey);
}
