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

/// <summary>A retrieve that cannot succeed by trying again (a refused move destination).</summary>
public sealed class PermanentPullException : Exception
{
    public PermanentPullException(string message)
        : base(message)
    {
    }

    public PermanentPullException()
    {
    }

    public PermanentPullException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
