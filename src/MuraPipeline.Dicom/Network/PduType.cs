namespace MuraPipeline.Dicom.Network;

/// <summary>PDU types of the DICOM upper layer protocol (PS3.8 section 9.3).</summary>
public enum PduType : byte
{
    AssociateRq = 0x01,
    AssociateAc = 0x02,
    AssociateRj = 0x03,
    PData = 0x04,
    ReleaseRq = 0x05,
    ReleaseRp = 0x06,
    Abort = 0x07,
}
