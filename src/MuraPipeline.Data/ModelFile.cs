namespace MuraPipeline.Data;

/// <summary>A registered model's bytes, so every inference replica can load the active model without a shared volume.</summary>
public sealed class ModelFile
{
    public required string Sha256 { get; set; }

    public required byte[] Content { get; set; }
}
