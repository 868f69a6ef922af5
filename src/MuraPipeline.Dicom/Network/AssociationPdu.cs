using System.Buffers.Binary;
using System.Text;

namespace MuraPipeline.Dicom.Network;

public sealed class AssociationPdu
{
    public const string ApplicationContext = "1.2.840.10008.3.1.1.1";

    public string CalledAe { get; set; } = string.Empty;

    public string CallingAe { get; set; } = string.Empty;

    public List<PresentationContext> Contexts { get; } = [];

    /// <summary>The largest P-DATA-TF PDU the sender of this PDU will receive (0: no limit).</summary>
    public uint MaxPduLength { get; set; }

    public string ImplementationClassUid { get; set; } = DicomUids.ImplementationClassUid;

    public string ImplementationVersion { get; set; } = DicomUids.ImplementationVersionName;

    /// <summary>SCP/SCU role selection (PS3.7 D.3.3.4) per SOP class: a C-GET requester offers to be the storage SCP.</summary>
    public List<RoleSelection> Roles { get; } = [];

    public static AssociationPdu Parse(ReadOnlySpan<byte> body, bool request)
    {
        if (body.Length < 68)
        {
            throw new DicomProtocolException($"A-ASSOCIATE PDU of {body.Length} bytes is shorter than its 68-byte fixed part");
        }

        var a = new AssociationPdu
        {
            CalledAe = Encoding.ASCII.GetString(body.Slice(4, 16)).Trim(' ', '\0'),
            CallingAe = Encoding.ASCII.GetString(body.Slice(20, 16)).Trim(' ', '\0'),
        };
        var pos = 68;
        while (pos < body.Length)
        {
            var type = Item(body, ref pos, out var item);
            switch (type)
            {
                case 0x20 when request:
                case 0x21 when !request:
                {
                    if (item.Length < 4)
                    {
                        throw new DicomProtocolException("presentation context item is too short");
                    }

                    var pc = new PresentationContext { Id = item[0], Result = item[2] };
                    var sub = 4;
                    while (sub < item.Length)
                    {
                        var subType = Item(item, ref sub, out var value);
                        var uid = Encoding.ASCII.GetString(value).Trim(' ', '\0');
                        if (subType == 0x30)
                        {
                            pc = new PresentationContext { Id = pc.Id, Result = pc.Result, AbstractSyntax = uid, TransferSyntaxes = pc.TransferSyntaxes };
                        }
                        else if (subType == 0x40)
                        {
                            pc.TransferSyntaxes.Add(uid);
                        }
                    }

                    if (!request)
                    {
                        pc.AcceptedTransferSyntax = pc.TransferSyntaxes.FirstOrDefault();
                    }

                    a.Contexts.Add(pc);
                    break;
                }

                case 0x50:
                {
                    var sub = 0;
                    while (sub < item.Length)
                    {
                        var subType = Item(item, ref sub, out var value);
                        switch (subType)
                        {
                            case 0x51 when value.Length >= 4:
                                a.MaxPduLength = BinaryPrimitives.ReadUInt32BigEndian(value);
                                break;
                            case 0x52:
                                a.ImplementationClassUid = Encoding.ASCII.GetString(value).Trim(' ', '\0');
                                break;
                            case 0x55:
                                a.ImplementationVersion = Encoding.ASCII.GetString(value).Trim(' ', '\0');
                                break;
                            case 0x54 when value.Length >= 4:
                                var uidLength = BinaryPrimitives.ReadUInt16BigEndian(value);
                                if (2 + uidLength + 2 <= value.Length)
                                {
                                    a.Roles.Add(new RoleSelection(Encoding.ASCII.GetString(value.Slice(2, uidLength)).Trim(' ', '\0'), value[2 + uidLength] == 1, value[3 + uidLength] == 1));
                                }

                                break;
                        }
                    }

                    break;
                }

                default:
                    break; // the application context (0x10) and items we do not use
            }
        }

        return a;
    }

    public byte[] Encode(bool request)
    {
        using var ms = new MemoryStream();
        ms.Write([0, 1, 0, 0]);
        ms.Write(Ae(CalledAe));
        ms.Write(Ae(CallingAe));
        ms.Write(new byte[32]);
        WriteItem(ms, 0x10, Encoding.ASCII.GetBytes(ApplicationContext));
        foreach (var pc in Contexts)
        {
            using var body = new MemoryStream();
            body.Write([pc.Id, 0, request ? (byte)0 : pc.Result, 0]);
            if (request)
            {
                WriteItem(body, 0x30, Encoding.ASCII.GetBytes(pc.AbstractSyntax));
                foreach (var ts in pc.TransferSyntaxes)
                {
                    WriteItem(body, 0x40, Encoding.ASCII.GetBytes(ts));
                }
            }
            else
            {
                WriteItem(body, 0x40, Encoding.ASCII.GetBytes(pc.AcceptedTransferSyntax ?? pc.TransferSyntaxes.FirstOrDefault() ?? DicomUids.ImplicitVrLittleEndian));
            }

            WriteItem(ms, request ? (byte)0x20 : (byte)0x21, body.ToArray());
        }

        using var user = new MemoryStream();
        var max = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(max, MaxPduLength);
        WriteItem(user, 0x51, max);
        WriteItem(user, 0x52, Encoding.ASCII.GetBytes(ImplementationClassUid));
        foreach (var role in Roles)
        {
            var uid = Encoding.ASCII.GetBytes(role.SopClass);
            var item = new byte[2 + uid.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(item, (ushort)uid.Length);
            uid.CopyTo(item, 2);
            item[^2] = role.Scu ? (byte)1 : (byte)0;
            item[^1] = role.Scp ? (byte)1 : (byte)0;
            WriteItem(user, 0x54, item);
        }

        WriteItem(user, 0x55, Encoding.ASCII.GetBytes(ImplementationVersion));
        WriteItem(ms, 0x50, user.ToArray());
        return Pdu.Frame(request ? PduType.AssociateRq : PduType.AssociateAc, ms.ToArray());
    }

    private static byte[] Ae(string ae)
    {
        var b = Enumerable.Repeat((byte)' ', 16).ToArray();
        Encoding.ASCII.GetBytes(ae.Length > 16 ? ae[..16] : ae).CopyTo(b, 0);
        return b;
    }

    private static void WriteItem(Stream s, byte type, byte[] value)
    {
        s.WriteByte(type);
        s.WriteByte(0);
        s.WriteByte((byte)(value.Length >> 8));
        s.WriteByte((byte)value.Length);
        s.Write(value);
    }

    private static byte Item(ReadOnlySpan<byte> s, ref int pos, out ReadOnlySpan<byte> value)
    {
        if (pos + 4 > s.Length)
        {
            throw new DicomProtocolException($"item header at offset {pos} runs past the PDU");
        }

        var type = s[pos];
        var length = BinaryPrimitives.ReadUInt16BigEndian(s[(pos + 2)..]);
        if (pos + 4 + length > s.Length)
        {
            throw new DicomProtocolException($"item 0x{type:X2} declares {length} bytes at offset {pos}, past the end of the PDU");
        }

        value = s.Slice(pos + 4, length);
        pos += 4 + length;
        return type;
    }
}
