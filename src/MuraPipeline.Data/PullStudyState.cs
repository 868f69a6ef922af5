namespace MuraPipeline.Data;

/// <summary>
/// One study of a pull job: Pending → Retrieving → Received | Failed(reason) | Incomplete (the PACS reported success
/// with fewer instances than its query said, on every attempt; the reason gives both numbers).
/// </summary>
public enum PullStudyState
{
    Pending = 0,
    Retrieving = 1,
    Received = 2,
    Failed = 3,
    Incomplete = 4,
}
