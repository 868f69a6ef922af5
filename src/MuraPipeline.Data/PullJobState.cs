namespace MuraPipeline.Data;

/// <summary>
/// A pull job is Searching while its query's matches are written (no puller takes it then), Active until every one
/// of its studies has ended (Received, Failed or Incomplete), then Done.
/// </summary>
public enum PullJobState
{
    Active = 0,
    Done = 1,
    Searching = 2,
}
