using MassTransit;
using MuraPipeline.Contracts;

namespace MuraPipeline.Hosting.Embedded;

/// <summary>Feeds <see cref="StudyCompletions"/> from the bus.</summary>
public sealed class StudyCompletionConsumer(StudyCompletions completions) : IConsumer<StudyScored>
{
    public Task Consume(ConsumeContext<StudyScored> context)
    {
        completions.Completed(context.Message);
        return Task.CompletedTask;
    }
}
