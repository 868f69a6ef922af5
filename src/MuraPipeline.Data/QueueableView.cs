namespace MuraPipeline.Data;

public sealed record QueueableView(Guid ViewId, string SopInstanceUid, byte[] DerivativePng);
