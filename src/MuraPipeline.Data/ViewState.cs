namespace MuraPipeline.Data;

/// <summary>A view's life: Received → Queued → Scored | Failed(reason); or Received → OutOfScope with its study.</summary>
public enum ViewState
{
    Received = 0,
    Queued = 1,
    Scored = 2,
    Failed = 3,
    OutOfScope = 4,
}
