using MassTransit;
using Microsoft.Extensions.Logging;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Imaging;
using MuraPipeline.Model;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Inference;

/// <summary>
/// Scores batches of queued views. Each derivative is decoded once, here. One bad view never faults the batch: an
/// undecodable derivative fails that view with its reason at once (a permanent error: no bus retry, no error queue),
/// and a model error on the whole batch is retried view by view so only the culprit fails.
/// </summary>
public sealed partial class ScoreViewsConsumer(ModelProvider models, StudyStore store, ReplicaState replica, ILogger<ScoreViewsConsumer> logger)
    : IConsumer<Batch<ViewQueued>>
{
    public async Task Consume(ConsumeContext<Batch<ViewQueued>> context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var messages = context.Message.Select(m => m.Message).DistinctBy(m => m.ViewId).ToList();
        var outcomes = new List<ViewOutcome>(messages.Count);
        var decoded = new List<(ViewQueued Message, GrayImage Image)>(messages.Count);

        // Decoded on every core: a GPU worker's batch of 64 spent longer here, one view after another, than in the model.
        var images = new (GrayImage? Image, string? Error)[messages.Count];
        Parallel.For(0, messages.Count, i =>
        {
            try
            {
                images[i] = (Png.DecodeGray(messages[i].DerivativePng), null);
            }
            catch (PngException ex)
            {
                images[i] = (null, ex.Message);
            }
        });
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (images[i].Image is { } image)
            {
                decoded.Add((m, image));
                continue;
            }

            LogViewFailed(logger, m.StudyInstanceUid, m.SopInstanceUid, images[i].Error!);
            outcomes.Add(new ViewOutcome(m.ViewId, null, null, $"derivative image is unreadable: {images[i].Error}", null));
        }

        // One model for the whole batch: a model activated meanwhile takes the next batch.
        using var lease = await models.AcquireAsync(context.CancellationToken);
        var model = lease.Model;
        outcomes.AddRange(Score(model, decoded));
        var tally = new OutcomeTally();
        var completed = await store.RecordOutcomesAsync(outcomes, model.Sha256, Guid.NewGuid(), context.CancellationToken, tally);
        replica.BatchScored(model.Sha256, DateTimeOffset.UtcNow);
        MuraMetrics.InferenceBatchSize.Observe(messages.Count);
        MuraMetrics.InferenceBatchSeconds.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        MuraMetrics.ViewsScored.Inc(tally.Scored);
        MuraMetrics.ViewsFailed.WithLabels("inference").Inc(tally.Failed);
        foreach (var wait in tally.SinceReceipt)
        {
            MuraMetrics.ReceiptToScoreSeconds.Observe(wait.TotalSeconds);
        }

        foreach (var c in completed)
        {
            LogStudyScored(logger, c.StudyInstanceUid, c.Score, model.Sha256);
            await context.Publish(StudyScoredMessage.From(c), context.CancellationToken);
        }
    }

    private List<ViewOutcome> Score(OnnxModel model, List<(ViewQueued Message, GrayImage Image)> batch)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        try
        {
            return batch.Zip(model.Predict(batch.Select(b => b.Image).ToList()), (b, p) => ToOutcome(model, b.Message, p)).ToList();
        }
        catch (Exception ex) when (batch.Count > 1 && ex is not OperationCanceledException)
        {
            return batch.SelectMany(b => Score(model, [b])).ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var m = batch[0].Message;
            LogViewFailed(logger, m.StudyInstanceUid, m.SopInstanceUid, ex.Message);
            return [new ViewOutcome(m.ViewId, null, null, $"model could not score the view: {ex.Message.Split('\n')[0]}", null)];
        }
    }

    private static ViewOutcome ToOutcome(OnnxModel model, ViewQueued m, ViewPrediction p)
    {
        Data.Heatmap? heatmap = null;
        if (p.Cam is { } cam)
        {
            var bytes = new byte[cam.Length * 4];
            Buffer.BlockCopy(cam, 0, bytes, 0, bytes.Length);
            var (px, py) = Imaging.Heatmap.Peak(cam, p.CamWidth, p.CamHeight);
            heatmap = new Data.Heatmap { ViewId = m.ViewId, ModelSha256 = model.Sha256, Width = p.CamWidth, Height = p.CamHeight, Grid = bytes, PeakX = px, PeakY = py };
        }

        return new ViewOutcome(m.ViewId, p.Probability, p.BodyPart, null, heatmap);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "View {SopInstanceUid} of study {StudyInstanceUid} failed: {Reason}")]
    private static partial void LogViewFailed(ILogger logger, string studyInstanceUid, string sopInstanceUid, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Study {StudyInstanceUid} scored {Score} by model {ModelSha}")]
    private static partial void LogStudyScored(ILogger logger, string studyInstanceUid, double? score, string modelSha);
}
