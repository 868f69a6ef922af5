using MuraPipeline.Data;

namespace MuraPipeline.DicomResults;

/// <summary>A stored object and its deliveries, for `mura results list` and the console.</summary>
public sealed record OutboxEntry(StoredResult Result, IReadOnlyList<ResultDelivery> Deliveries);
