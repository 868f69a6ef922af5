using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Contracts;

namespace MuraPipeline.Pacs;

/// <summary>Where a C-GET puts what it retrieves: the ingest role's watched folder, so pulled instances take the normal ingest path.</summary>
public sealed record PullTarget(string? ReceiveDir);
