using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>A stored object and its deliveries, for `mura results list` and the console.</summary>
public sealed record OutboxEntry(StoredResult Result, IReadOnlyList<ResultDelivery> Deliveries);
