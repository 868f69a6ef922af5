using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;

namespace MuraPipeline.ServiceDefaults;

/// <summary>A folder this process writes to, by the name an operator sees: inbox, archive, failed, exports, database.</summary>
public sealed record StorageVolume(string Name, string Path);
