using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;

namespace MuraPipeline.ServiceDefaults;

/// <summary>A volume's free and total bytes as last measured, and whether it is below the watermark.</summary>
public sealed record VolumeSpace(string Name, string Path, long FreeBytes, long TotalBytes, long MinFreeBytes)
{
    public bool Low => FreeBytes < MinFreeBytes;
}
