using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MuraPipeline.Cli.Serve;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;

namespace MuraPipeline.Cli.Embedded;

/// <summary>Feeds <see cref="StudyCompletions"/> from the bus.</summary>
public sealed class StudyCompletionConsumer(StudyCompletions completions) : IConsumer<StudyScored>
{
    public Task Consume(ConsumeContext<StudyScored> context)
    {
        completions.Completed(context.Message);
        return Task.CompletedTask;
    }
}
