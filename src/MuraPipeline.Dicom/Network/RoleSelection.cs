namespace MuraPipeline.Dicom.Network;

/// <summary>The content of an A-ASSOCIATE-RQ or -AC PDU.</summary>
/// <summary>One SCP/SCU role selection sub-item: whether the requester may act as SCU and as SCP for the SOP class.</summary>
public sealed record RoleSelection(string SopClass, bool Scu, bool Scp);
