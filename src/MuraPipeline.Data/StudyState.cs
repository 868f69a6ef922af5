namespace MuraPipeline.Data;

/// <summary>
/// A study is Open while views arrive, Queued once its views are sent, and Scored (or Failed, when no view could be
/// scored) when the last view ends; OutOfScope (never scored, never a failure) when its headers name a part outside
/// the seven or its images are not radiographs.
/// </summary>
public enum StudyState
{
    Open = 0,
    Queued = 1,
    Scored = 2,
    Failed = 3,
    OutOfScope = 4,
}
