using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>What became of one file.</summary>
public enum FileOutcome
{
    Registered,
    Duplicate,
    Failed,
}
