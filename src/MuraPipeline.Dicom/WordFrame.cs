namespace MuraPipeline.Dicom;

/// <summary>
/// One frame of a one-sample 16-bit image as little-endian words before Bits Stored is masked out: each stored value
/// is bits <c>HighBit + 1 - BitsStored</c> .. <c>HighBit</c> of its word, two's complement when <paramref name="Signed"/>.
/// </summary>
public sealed record WordFrame(int Width, int Height, ReadOnlyMemory<byte> Words, int BitsStored, int HighBit, bool Signed);
