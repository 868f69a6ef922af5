using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace MuraPipeline.ServiceDefaults;

/// <summary>Reads one configuration section into its options class, for code that runs before or outside the host's options.</summary>
public static class SettingsSection
{
    /// <summary>The section as configured and validated (its data annotations); a value of the wrong type, or out of range, is an error naming the setting.</summary>
    public static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        T options;
        try
        {
            options = configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key and the type ("Failed to convert configuration value 'x' at 'Database:StartWaitSeconds' to type 'System.Double'").
            throw new InvalidSettingException($"invalid setting: {ex.Message}", ex);
        }

        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options!, new ValidationContext(options!), errors, validateAllProperties: true))
        {
            throw new InvalidSettingException($"invalid setting: {section}: {string.Join("; ", errors.Select(e => e.ErrorMessage))}");
        }

        return options;
    }
}
