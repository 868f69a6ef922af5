using System.Threading.Channels;

namespace MuraPipeline.Ingest;

/// <summary>
/// The receiver's hand to ingest in this process: the path of each instance the C-STORE receiver has made durable in
/// the watched folder. The watched-folder worker takes them at once, without waiting for its next scan or for the file
/// to settle; the folder itself stays the journal (what a crash left there is found by the scan).
/// </summary>
public sealed class ReceivedInstances
{
    private readonly Channel<string> _paths = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Called by the receiver once <paramref name="path"/> is durably written.</summary>
    public void Hand(string path) => _paths.Writer.TryWrite(path);

    /// <summary>Every path handed in since the last call.</summary>
    public List<string> Take()
    {
        var taken = new List<string>();
        while (_paths.Reader.TryRead(out var path))
        {
            taken.Add(path);
        }

        return taken;
    }

    /// <summary>Completes when a path is waiting (at once if one already is), or when <paramref name="ct"/> is cancelled.</summary>
    public Task WaitAsync(CancellationToken ct) => _paths.Reader.WaitToReadAsync(ct).AsTask();
}
