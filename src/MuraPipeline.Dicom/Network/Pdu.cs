using System.Buffers.Binary;
using System.Text;

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

/// <summary>A protocol violation by the peer: the association is aborted.</summary>
public sealed class DicomProtocolException : Exception
{
    public DicomProtocolException(string message)
        : base(message)
    {
    }

    public DicomProtocolException()
    {
    }

    public DicomProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

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

/// <summary>The content of an A-ASSOCIATE-RQ or -AC PDU.</summary>
/// <summary>One SCP/SCU role selection sub-item: whether the requester may act as SCU and as SCP for the SOP class.</summary>
public sealed record RoleSelection(string SopClass, bool Scu, bool Scp);

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

/// <summary>Reading and writing whole PDUs on a stream.</summary>
public static class Pdu
{
    public static byte[] Frame(PduType type, ReadOnlySpan<byte> body)
    {
        var b = new byte[6 + body.Length];
        b[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(2), (uint)body.Length);
        body.CopyTo(b.AsSpan(6));
        return b;
    }

    /// <summary>A-ASSOCIATE-RJ: result 1 permanent / 2 transient; source 1 user, 2 ACSE, 3 presentation; reason per source.</summary>
    public static byte[] Reject(byte result, byte source, byte reason) => Frame(PduType.AssociateRj, [0, result, source, reason]);

    /// <summary>A-ABORT: source 0 user, 2 provider; reason (provider) 1 unrecognised PDU, 2 unexpected PDU, 6 invalid parameter.</summary>
    public static byte[] Abort(byte source, byte reason) => Frame(PduType.Abort, [0, 0, source, reason]);

    public static byte[] ReleaseRequest() => Frame(PduType.ReleaseRq, [0, 0, 0, 0]);

    public static byte[] ReleaseResponse() => Frame(PduType.ReleaseRp, [0, 0, 0, 0]);

    /// <summary>One P-DATA-TF PDU with one PDV.</summary>
    public static byte[] PData(byte contextId, bool command, bool last, ReadOnlySpan<byte> data)
    {
        var body = new byte[6 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body, (uint)(2 + data.Length));
        body[4] = contextId;
        body[5] = (byte)((command ? 1 : 0) | (last ? 2 : 0));
        data.CopyTo(body.AsSpan(6));
        return Frame(PduType.PData, body);
    }

    /// <summary>Reads one PDU; null at a clean end of stream before a header. A body over <paramref name="maxBody"/> bytes is a protocol error.</summary>
    public static async Task<(PduType Type, byte[] Body)?> ReadAsync(Stream s, uint maxBody, CancellationToken ct)
    {
        var header = new byte[6];
        var got = 0;
        while (got < 6)
        {
            var n = await s.ReadAsync(header.AsMemory(got), ct);
            if (n == 0)
            {
                if (got == 0)
                {
                    return null;
                }

                throw new DicomProtocolException($"connection closed inside a PDU header ({got} of 6 bytes)");
            }

            got += n;
        }

        var type = header[0];
        if (type is < 1 or > 7)
        {
            throw new DicomProtocolException($"unrecognised PDU type 0x{type:X2}");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2));
        if (length > maxBody)
        {
            throw new DicomProtocolException($"PDU of type 0x{type:X2} declares {length} bytes, over the {maxBody}-byte limit");
        }

        var body = new byte[length];
        try
        {
            await s.ReadExactlyAsync(body, ct);
        }
        catch (EndOfStreamException ex)
        {
            throw new DicomProtocolException($"connection closed inside a {length}-byte PDU", ex);
        }

        return ((PduType)type, body);
    }

    /// <summary>The PDVs of a P-DATA-TF body: (context id, is command, is last, data).</summary>
    public static IEnumerable<(byte ContextId, bool Command, bool Last, ReadOnlyMemory<byte> Data)> Pdvs(byte[] body)
    {
        var pos = 0;
        while (pos < body.Length)
        {
            if (pos + 6 > body.Length)
            {
                throw new DicomProtocolException("PDV header runs past the P-DATA-TF PDU");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(pos));
            if (length < 2 || length > body.Length - pos - 4)
            {
                throw new DicomProtocolException($"PDV declares {length} bytes at offset {pos}, past the end of its PDU");
            }

            var header = body[pos + 5];
            yield return (body[pos + 4], (header & 1) != 0, (header & 2) != 0, body.AsMemory(pos + 6, (int)length - 2));
            pos += 4 + (int)length;
        }
    }
}
