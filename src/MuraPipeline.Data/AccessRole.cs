namespace MuraPipeline.Data;

/// <summary>What a signed-in user or an API key may do; each role can do everything the ones below it can.</summary>
public enum AccessRole
{
    /// <summary>The worklist, heatmaps and verdicts.</summary>
    Reader = 1,

    /// <summary>A reader's rights, plus queues, failures, replay, exports and the models list.</summary>
    Operator = 2,

    /// <summary>An operator's rights, plus users, keys, model activation and the settings view.</summary>
    Admin = 3,
}
