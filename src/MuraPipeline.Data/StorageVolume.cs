namespace MuraPipeline.Data;

/// <summary>A folder this process writes to, by the name an operator sees: inbox, archive, failed, exports, database.</summary>
public sealed record StorageVolume(string Name, string Path);
