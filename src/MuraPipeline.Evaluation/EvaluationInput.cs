using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;

namespace MuraPipeline.Evaluation;

/// <summary>What `evaluate` and `calibrate` read: scored studies and views, from a screen run's CSVs or from a database.</summary>
public sealed record EvaluationInput(List<StudyPrediction> Studies, List<ViewPoint> Views)
{
    /// <summary>DIR/studies.csv and, when present, DIR/views.csv.</summary>
    public static EvaluationInput FromCsv(string dir) =>
        new(Evaluator.ReadStudiesCsv(Path.Combine(dir, "studies.csv")), Evaluator.ReadViewsCsv(Path.Combine(dir, "views.csv")));

    /// <summary>
    /// Every scored study and view in a database, each study called at the operating point the threshold policy gives
    /// its scoring model now (so an evaluation after `calibrate` shows the calibrated calls).
    /// </summary>
    public static async Task<EvaluationInput> FromDatabaseAsync(MuraDbContext db, ThresholdPolicy policy, CancellationToken ct)
    {
        var scored = await db.Studies.AsNoTracking().Where(s => s.State == StudyState.Scored && s.Score != null)
            .Select(s => new { s.StudyInstanceUid, s.BodyPart, Score = s.Score!.Value, s.ModelSha256 })
            .ToListAsync(ct);
        var studies = new List<StudyPrediction>(scored.Count);
        foreach (var model in scored.GroupBy(s => s.ModelSha256))
        {
            var threshold = await policy.ForModelAsync(model.Key, ct);
            studies.AddRange(model.Select(s => new StudyPrediction(s.StudyInstanceUid, s.BodyPart ?? string.Empty, s.Score, StudyAggregate.IsAbnormal(s.Score, threshold(s.BodyPart)) ? 1 : 0, s.ModelSha256)));
        }

        var views = await ResultRows.ViewRows(db, db.Views.Where(v => v.State == ViewState.Scored)).ToListAsync(ct);
        return new(studies, views.Select(v => new ViewPoint(v.StudyInstanceUid, v.SopInstanceUid, v.File, v.PredictedBodyPart, v.PeakX, v.PeakY)).ToList());
    }
}
