using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Ingest;

namespace MuraPipeline.Hosting.Embedded;

/// <summary>
/// A screen run's outcome. <see cref="SkippedLitter"/> counts hidden files and OS litter left out of the input,
/// <see cref="SkippedOther"/> reports and notes (csv, txt…); <see cref="UnfiledFiles"/> files that belong to no study.
/// </summary>
public sealed record ScreenResult(IReadOnlyList<StudyRow> Studies, IReadOnlyList<ViewRow> Views, string ModelSha256, int QueuedThisRun, int SkippedLitter = 0, int SkippedOther = 0, WriterTally? Writer = null)
{
    public int FailedViews => Views.Count(v => v.State == ViewState.Failed);

    /// <summary>Failed files that could not be filed under any study (not DICOM, no UIDs, a PNG outside a MURA tree).</summary>
    public int UnfiledFiles => Views.Count(v => v.State == ViewState.Failed) - Studies.Sum(s => s.FailedViews);
}
