using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>Outbox counts by state, for `mura status` and the console.</summary>
public sealed record OutboxCounts(int Objects, int Pending, int Sent, int Failed);
