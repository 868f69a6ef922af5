using System.Buffers.Binary;

namespace MuraPipeline.Dicom.Network;

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
