namespace MuraPipeline.Data;

/// <summary>A view ready to be sent to inference, with its derivative.</summary>
/// <summary>A view's derivative as stored: the PNG, its size, and the size of the view's own pixel grid.</summary>
public sealed record Derivative(byte[] Png, int Width, int Height, int SourceWidth, int SourceHeight);
