using System.Globalization;

namespace MuraPipeline.Pacs;

/// <summary>
/// The part of a search that one query covers: a Study Date range (either end open) and, once the range is one day,
/// a Study Time range inside it.
/// </summary>
public sealed record SearchSlice(DateOnly? From, DateOnly? To, TimeOnly? TimeFrom = null, TimeOnly? TimeTo = null)
{
    /// <summary>The DICOM range matching value of Study Date (empty: any date).</summary>
    public string DateRange => (From, To) switch
    {
        (null, null) => string.Empty,
        ({ } f, null) => $"{f:yyyyMMdd}-",
        (null, { } t) => $"-{t:yyyyMMdd}",
        ({ } f, { } t) when f == t => $"{f:yyyyMMdd}",
        ({ } f, { } t) => $"{f:yyyyMMdd}-{t:yyyyMMdd}",
    };

    /// <summary>The DICOM range matching value of Study Time (empty: any time).</summary>
    public string TimeRange => TimeFrom is { } a && TimeTo is { } b ? $"{a:HHmmss}-{b:HHmmss}" : string.Empty;

    /// <summary>How an operator reads it: "2024-03-05 12:00:00-17:59:59", "up to 1999-12-31".</summary>
    public override string ToString()
    {
        var dates = (From, To) switch
        {
            (null, null) => "every date",
            ({ } f, null) => $"from {f:yyyy-MM-dd}",
            (null, { } t) => $"up to {t:yyyy-MM-dd}",
            ({ } f, { } t) when f == t => f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ({ } f, { } t) => $"{f:yyyy-MM-dd} to {t:yyyy-MM-dd}",
        };
        return TimeFrom is { } a && TimeTo is { } b ? $"{dates} {a:HH\\:mm\\:ss}-{b:HH\\:mm\\:ss}" : dates;
    }
}
