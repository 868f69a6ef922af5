using System.Buffers.Binary;
using System.Text;

namespace MuraPipeline.Dicom.Network;

/// <summary>A DIMSE command set (PS3.7 section 9.3 and E), always implicit VR little endian on the wire.</summary>
public sealed class DimseCommand
{
    public const ushort CStoreRq = 0x0001;
    public const ushort CStoreRsp = 0x8001;
    public const ushort CEchoRq = 0x0030;
    public const ushort CEchoRsp = 0x8030;
    public const ushort CFindRq = 0x0020;
    public const ushort CFindRsp = 0x8020;
    public const ushort CGetRq = 0x0010;
    public const ushort CGetRsp = 0x8010;
    public const ushort CMoveRq = 0x0021;
    public const ushort CMoveRsp = 0x8021;
    public const ushort CCancelRq = 0x0FFF;
    public const ushort NoDataSet = 0x0101;

    public const ushort Success = 0x0000;
    public const ushort RefusedOutOfResources = 0xA700;
    public const ushort RefusedSopClassNotSupported = 0x0122;
    public const ushort ErrorCannotUnderstand = 0xC000;
    public const ushort ErrorDataSetDoesNotMatchSopClass = 0xA900;
    public const ushort Pending = 0xFF00;
    public const ushort PendingWithWarnings = 0xFF01;
    public const ushort Cancel = 0xFE00;
    public const ushort SubOperationsWarning = 0xB000;

    /// <summary>Pending (0xFF00 or 0xFF01): more responses follow.</summary>
    public static bool IsPending(ushort status) => status is Pending or PendingWithWarnings;

    public ushort CommandField { get; set; }

    public ushort MessageId { get; set; }

    public ushort RespondingTo { get; set; }

    public string AffectedSopClass { get; set; } = string.Empty;

    public string AffectedSopInstance { get; set; } = string.Empty;

    public ushort DataSetType { get; set; } = NoDataSet;

    public ushort Priority { get; set; }

    public ushort? Status { get; set; }

    public string? ErrorComment { get; set; }

    /// <summary>(0000,0600): where a C-MOVE sends the instances.</summary>
    public string? MoveDestination { get; set; }

    /// <summary>(0000,1020)-(0000,1023): the sub-operation counts of a C-MOVE or C-GET response.</summary>
    public ushort? Remaining { get; set; }

    public ushort? Completed { get; set; }

    public ushort? Failed { get; set; }

    public ushort? Warning { get; set; }

    /// <summary>(0000,1030) and (0000,1031): on a C-STORE that a C-MOVE caused, who asked for it.</summary>
    public string? MoveOriginatorAe { get; set; }

    public ushort? MoveOriginatorMessageId { get; set; }

    public bool HasDataSet => DataSetType != NoDataSet;

    public static DimseCommand Parse(ReadOnlySpan<byte> b)
    {
        var c = new DimseCommand();
        var pos = 0;
        while (pos < b.Length)
        {
            if (pos + 8 > b.Length)
            {
                throw new DicomProtocolException("command set ends inside an element header");
            }

            var group = BinaryPrimitives.ReadUInt16LittleEndian(b[pos..]);
            var element = BinaryPrimitives.ReadUInt16LittleEndian(b[(pos + 2)..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(b[(pos + 4)..]);
            if (group != 0x0000 || length > (uint)(b.Length - pos - 8))
            {
                throw new DicomProtocolException($"command set element ({group:X4},{element:X4}) at offset {pos} is not a valid command element");
            }

            var v = b.Slice(pos + 8, (int)length);
            switch (element)
            {
                case 0x0002: c.AffectedSopClass = ReadText(v); break;
                case 0x0100: c.CommandField = ReadU16(v); break;
                case 0x0110: c.MessageId = ReadU16(v); break;
                case 0x0120: c.RespondingTo = ReadU16(v); break;
                case 0x0700: c.Priority = ReadU16(v); break;
                case 0x0800: c.DataSetType = ReadU16(v); break;
                case 0x0600: c.MoveDestination = ReadText(v); break;
                case 0x0900: c.Status = ReadU16(v); break;
                case 0x0902: c.ErrorComment = ReadText(v); break;
                case 0x1000: c.AffectedSopInstance = ReadText(v); break;
                case 0x1020: c.Remaining = ReadU16(v); break;
                case 0x1021: c.Completed = ReadU16(v); break;
                case 0x1022: c.Failed = ReadU16(v); break;
                case 0x1023: c.Warning = ReadU16(v); break;
                case 0x1030: c.MoveOriginatorAe = ReadText(v); break;
                case 0x1031: c.MoveOriginatorMessageId = ReadU16(v); break;
            }

            pos += 8 + (int)length;
        }

        return c;
    }

    private static ushort ReadU16(ReadOnlySpan<byte> v) => v.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(v) : (ushort)0;

    private static string ReadText(ReadOnlySpan<byte> v) => Encoding.ASCII.GetString(v).Trim(' ', '\0');

    public byte[] Encode()
    {
        using var body = new MemoryStream();
        if (AffectedSopClass.Length > 0)
        {
            Text(body, 0x0002, AffectedSopClass, 0);
        }

        U16(body, 0x0100, CommandField);
        if ((CommandField & 0x8000) == 0)
        {
            U16(body, 0x0110, MessageId);
        }
        else
        {
            U16(body, 0x0120, RespondingTo);
        }

        if (CommandField == CMoveRq && MoveDestination is { } destination)
        {
            Text(body, 0x0600, destination, (byte)' ');
        }

        if (CommandField is CStoreRq or CFindRq or CGetRq or CMoveRq)
        {
            U16(body, 0x0700, Priority);
        }

        U16(body, 0x0800, DataSetType);
        if (Status is { } status)
        {
            U16(body, 0x0900, status);
        }

        if (ErrorComment is { Length: > 0 } comment)
        {
            Text(body, 0x0902, comment.Length > 64 ? comment[..64] : comment, (byte)' ');
        }

        if (AffectedSopInstance.Length > 0)
        {
            Text(body, 0x1000, AffectedSopInstance, 0);
        }

        foreach (var (element, count) in new[] { ((ushort)0x1020, Remaining), ((ushort)0x1021, Completed), ((ushort)0x1022, Failed), ((ushort)0x1023, Warning) })
        {
            if (count is { } n)
            {
                U16(body, element, n);
            }
        }

        if (MoveOriginatorAe is { Length: > 0 } originator)
        {
            Text(body, 0x1030, originator, (byte)' ');
        }

        if (MoveOriginatorMessageId is { } originatorId)
        {
            U16(body, 0x1031, originatorId);
        }

        var o = new byte[12 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(4), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(8), (uint)body.Length);
        body.ToArray().CopyTo(o, 12);
        return o;
    }

    public DimseCommand Response(ushort status, string? comment = null) => new()
    {
        CommandField = (ushort)(CommandField | 0x8000),
        RespondingTo = MessageId,
        AffectedSopClass = AffectedSopClass,
        AffectedSopInstance = AffectedSopInstance,
        Status = status,
        ErrorComment = comment,
    };

    private static void Header(Stream s, ushort element, int length)
    {
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], element);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)length);
        s.Write(h);
    }

    private static void U16(Stream s, ushort element, ushort value)
    {
        Header(s, element, 2);
        Span<byte> v = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(v, value);
        s.Write(v);
    }

    private static void Text(Stream s, ushort element, string value, byte pad)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        var padded = bytes.Length + (bytes.Length & 1);
        Header(s, element, padded);
        s.Write(bytes);
        if (padded != bytes.Length)
        {
            s.WriteByte(pad);
        }
    }
}
