namespace MuraPipeline.Benchmarks;

/// <summary>What ingest's one writer did with a backlog handed to it all at once.</summary>
internal sealed record WriterRun(int Views, double HeldMsPerView, double FilesPerCommit, double ViewsPerSecond);
