using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;

namespace MuraPipeline.Hosting;

/// <summary>The "StudyTypes" configuration section: a site's own spellings of the study types.</summary>
public sealed class StudyTypeOptions
{
    public const string Section = "StudyTypes";

    /// <summary>SPELLING = TYPE (one of the seven, or OUT for a part outside them), e.g. StudyTypes__Aliases__POLS=WRIST; added to the built-in table, and winning over it.</summary>
    public Dictionary<string, string> Aliases { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The one resolver, with the site's aliases, for every role and command (checked at start: a bad alias stops the host with its name).</summary>
    public static IServiceCollection AddStudyTypes(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StudyTypeOptions>().Bind(configuration.GetSection(Section))
            .Validate(o => Error(o) is null, "StudyTypes:Aliases has a value that is not one of the seven study types or OUT").ValidateOnStart();
        services.TryAddSingleton(sp => new StudyTypeResolver(sp.GetRequiredService<IOptions<StudyTypeOptions>>().Value.Aliases));
        return services;
    }

    private static string? Error(StudyTypeOptions o)
    {
        try
        {
            _ = new StudyTypeResolver(o.Aliases);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}
