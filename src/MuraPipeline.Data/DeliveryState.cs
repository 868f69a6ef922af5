namespace MuraPipeline.Data;

/// <summary>A result object's delivery to one destination: Pending until the destination answers success to its C-STORE.</summary>
public enum DeliveryState
{
    Pending = 0,
    Sent = 1,
    Failed = 2,
}
