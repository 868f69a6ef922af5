using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;
using MuraPipeline.Imaging;
using MuraPipeline.Model;

namespace MuraPipeline.Scheduler;

/// <summary>
/// After an export: runs the configured training command, registers the candidate it writes, scores the frozen
/// validation split (every study ever exported to "valid", with its current ground truth) with the candidate and
/// with the active model, and activates the candidate only when its kappa beats the active model's by the margin.
/// The outcome is recorded on the export run either way.
/// </summary>
public sealed partial class PromotionGate(IServiceScopeFactory scopes, IOptions<ExportOptions> options, ThresholdPolicy thresholds, ILogger<PromotionGate> logger)
{
    private const int BatchSize = 16;

    /// <summary>Runs the hook for export run <paramref name="runId"/>; null when no command is configured.</summary>
    public async Task<TrainingOutcome?> RunAsync(long runId, string exportFolder, string exportRoot, CancellationToken ct)
    {
        var training = options.Value.Training;
        if (string.IsNullOrWhiteSpace(training.Command))
        {
            return null;
        }

        TrainingOutcome outcome;
        try
        {
            outcome = await TrainAndGateAsync(runId, training, exportFolder, exportRoot, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            outcome = new TrainingOutcome("failed", $"{ex.GetType().Name}: {ex.Message}", null, null, null);
        }

        LogOutcome(logger, runId, outcome.Status, outcome.Detail);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var detail = outcome.Detail.Length > 4000 ? outcome.Detail[^4000..] : outcome.Detail;
        await db.ExportRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(
            s => s.SetProperty(r => r.TrainingStatus, outcome.Status)
                .SetProperty(r => r.TrainingDetail, detail)
                .SetProperty(r => r.CandidateSha256, outcome.CandidateSha256)
                .SetProperty(r => r.CandidateKappa, outcome.CandidateKappa)
                .SetProperty(r => r.ActiveKappa, outcome.ActiveKappa),
            ct);
        return outcome;
    }

    private async Task<TrainingOutcome> TrainAndGateAsync(long runId, TrainingOptions training, string exportFolder, string exportRoot, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var folders = await db.ExportRuns.AsNoTracking().Where(r => r.Status == ExportRunStatus.Succeeded && r.Folder != null).OrderBy(r => r.Id).Select(r => r.Folder!).ToListAsync(ct);
        var candidateDir = Directory.CreateDirectory(Path.Combine(exportRoot, ".candidates")).FullName;
        var candidate = Path.Combine(candidateDir, $"run-{runId:D6}.onnx");
        var command = training.Command!
            .Replace("{export}", Quote(exportFolder), StringComparison.Ordinal)
            .Replace("{exports}", Quote(exportRoot), StringComparison.Ordinal)
            .Replace("{train}", string.Join(' ', folders.Select(f => Path.Combine(f, "train")).Where(Directory.Exists).Select(Quote)), StringComparison.Ordinal)
            .Replace("{valid}", string.Join(' ', folders.Select(f => Path.Combine(f, "valid")).Where(Directory.Exists).Select(Quote)), StringComparison.Ordinal)
            .Replace("{candidate}", Quote(candidate), StringComparison.Ordinal);
        LogTraining(logger, runId, command);
        var (code, output) = await RunShellAsync(command, TimeSpan.FromMinutes(training.TimeoutMinutes), ct);
        if (code != 0)
        {
            return new TrainingOutcome("failed", $"the training command exited with {code}: {output}", null, null, null);
        }

        if (!File.Exists(candidate))
        {
            return new TrainingOutcome("failed", $"the training command succeeded but wrote no model to {candidate}", null, null, null);
        }

        var registry = scope.ServiceProvider.GetRequiredService<ModelRegistry>();
        var bytes = OnnxModel.ReadFile(candidate);
        using var model = OnnxModel.Load(bytes, candidate);
        await model.RegisterAsync(registry, bytes, ct, $"candidate of export run {runId}");
        var active = await registry.GetActiveAsync(ct);
        if (active?.Sha256 == model.Sha256)
        {
            return new TrainingOutcome("rejected", "the candidate is the active model already", model.Sha256, null, null);
        }

        OnnxModel? activeModel = null;
        if (active is not null && await registry.ContentAsync(active.Sha256, ct) is { } activeBytes)
        {
            activeModel = OnnxModel.Load(activeBytes, active.Name);
        }

        double candidateKappa;
        double? activeKappa;
        int studies;
        using (activeModel)
        {
            var candidateThreshold = await thresholds.ForModelAsync(model.Sha256, ct);
            var activeThreshold = await thresholds.ForModelAsync(active?.Sha256, ct);
            (studies, candidateKappa, activeKappa) = await CompareAsync(db, model, activeModel, candidateThreshold, activeThreshold, ct);
        }

        if (studies == 0)
        {
            return new TrainingOutcome("rejected", "no validation studies with ground truth to compare on; the candidate is registered, not activated", model.Sha256, null, null);
        }

        var margin = training.Margin;
        var summary = string.Create(CultureInfo.InvariantCulture, $"kappa on {studies} validation studies: candidate {Show(candidateKappa)}, active {(active is null ? "none" : Show(activeKappa))}, margin {margin:0.###}");
        if (!double.IsNaN(candidateKappa) && (activeKappa is null || double.IsNaN(activeKappa.Value) || candidateKappa > activeKappa.Value + margin))
        {
            await registry.ActivateAsync(model.Sha256, new AuditActor("scheduler:promotion-gate", Environment.MachineName), ct);
            return new TrainingOutcome("activated", summary, model.Sha256, Finite(candidateKappa), Finite(activeKappa));
        }

        return new TrainingOutcome("rejected", summary, model.Sha256, Finite(candidateKappa), Finite(activeKappa));
    }

    /// <summary>
    /// Study-level Cohen's kappa of the candidate and of the active model, each at the operating point the threshold
    /// policy gives it (the candidate is not calibrated yet, so it gets the configured thresholds, else 0.5), on the frozen validation split: every study exported to "valid", with the
    /// label it was last exported with, the study score being the mean of its views. Images are read a chunk of
    /// studies at a time and decoded once for both models.
    /// </summary>
    private static async Task<(int Studies, double Candidate, double? Active)> CompareAsync(MuraDbContext db, OnnxModel candidate, OnnxModel? active, Func<string?, double> candidateThreshold, Func<string?, double> activeThreshold, CancellationToken ct)
    {
        var studies = await (from e in db.ExportedStudies.AsNoTracking().Where(e => e.Split == "valid")
                             join s in db.Studies.AsNoTracking() on e.StudyInstanceUid equals s.StudyInstanceUid
                             orderby e.StudyInstanceUid
                             select new { s.Id, e.BodyPart, e.Abnormal }).ToListAsync(ct);
        var truth = new List<int>();
        var candidateCalls = new List<int>();
        var activeCalls = new List<int>();
        foreach (var chunk in studies.Chunk(64))
        {
            var ids = chunk.Select(c => c.Id).ToList();
            var images = await (from v in db.Views.AsNoTracking().Where(v => ids.Contains(v.StudyId))
                                join i in db.ViewImages.AsNoTracking() on v.Id equals i.ViewId
                                select new { v.StudyId, i.Png }).ToListAsync(ct);
            var decoded = images.Select(i => (i.StudyId, Image: Png.DecodeGray(i.Png))).ToList();
            var candidateMeans = Means(candidate, decoded);
            var activeMeans = active is null ? null : Means(active, decoded);
            foreach (var s in chunk.Where(s => candidateMeans.ContainsKey(s.Id)))
            {
                truth.Add(s.Abnormal ? 1 : 0);
                candidateCalls.Add(StudyAggregate.IsAbnormal(candidateMeans[s.Id], candidateThreshold(s.BodyPart)) ? 1 : 0);
                if (activeMeans is not null)
                {
                    activeCalls.Add(StudyAggregate.IsAbnormal(activeMeans[s.Id], activeThreshold(s.BodyPart)) ? 1 : 0);
                }
            }
        }

        return (truth.Count, Metrics.CohenKappa(truth, candidateCalls), active is null ? null : Metrics.CohenKappa(truth, activeCalls));
    }

    private static Dictionary<Guid, double> Means(OnnxModel model, List<(Guid StudyId, GrayImage Image)> views)
    {
        var probabilities = new List<double>(views.Count);
        foreach (var batch in views.Chunk(BatchSize))
        {
            probabilities.AddRange(model.Predict(batch.Select(b => b.Image).ToList()).Select(p => p.Probability));
        }

        return views.Zip(probabilities).GroupBy(x => x.First.StudyId).ToDictionary(g => g.Key, g => g.Average(x => x.Second));
    }

    private static async Task<(int Code, string Output)> RunShellAsync(string command, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /bin/sh");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            return (-1, $"timed out after {timeout.TotalMinutes:0} min");
        }

        process.WaitForExit();
        lock (output)
        {
            var text = output.ToString().Trim();
            return (process.ExitCode, text.Length > 2000 ? "…" + text[^2000..] : text);
        }
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sb)
        {
            sb.Append(line).Append('\n');
            if (sb.Length > 64_000)
            {
                sb.Remove(0, sb.Length - 16_000);
            }
        }
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Show(double? kappa) => kappa is { } k && !double.IsNaN(k) ? k.ToString("0.###", CultureInfo.InvariantCulture) : "undefined";

    private static double? Finite(double? v) => v is { } x && !double.IsNaN(x) ? x : null;

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Export run {RunId}: training command {Command}")]
    private static partial void LogTraining(ILogger logger, long runId, string command);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Export run {RunId}: candidate {Status} ({Detail})")]
    private static partial void LogOutcome(ILogger logger, long runId, string status, string detail);
}
