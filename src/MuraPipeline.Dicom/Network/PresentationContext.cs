namespace MuraPipeline.Dicom.Network;

/// <summary>One presentation context as proposed (several transfer syntaxes) or answered (one, with a result).</summary>
public sealed class PresentationContext
{
    public const byte Acceptance = 0;
    public const byte AbstractSyntaxNotSupported = 3;
    public const byte TransferSyntaxesNotSupported = 4;

    public required byte Id { get; init; }

    public string AbstractSyntax { get; init; } = string.Empty;

    public List<string> TransferSyntaxes { get; init; } = [];

    public byte Result { get; set; }

    public string? AcceptedTransferSyntax { get; set; }
}
