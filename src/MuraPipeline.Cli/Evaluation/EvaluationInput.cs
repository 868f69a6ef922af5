using Microsoft.EntityFrameworkCore;
using MuraPipeline.Cli.Embedded;
using MuraPipeline.Data;

namespace MuraPipeline.Cli.Evaluation;

/// <summary>What `evaluate` and `calibrate` read: scored studies and views, from a screen run's CSVs or from a database.</summary>
public sealed record EvaluationInput(List<StudyPrediction> Studies, List<ViewPoint> Views)
{
    /// <summary>DIR/studies.csv and, when present, DIR/views.csv.</summary>
    public static EvaluationInput FromCsv(string dir) =>
        new(Evaluator.ReadStudiesCsv(Path.Combine(dir, "studies.csv")), Evaluator.ReadViewsCsv(Path.Combine(dir, "views.csv")));

    /// <summary>Every scored study and view in a database.</summary>
    public static async Task<EvaluationInput> FromDatabaseAsync(MuraDbContext db, CancellationToken ct)
    {
        var studies = await db.Studies.AsNoTracking().Where(s => s.State == StudyState.Scored && s.Score != null)
            .Select(s => new StudyPrediction(s.StudyInstanceUid, s.BodyPart ?? string.Empty, s.Score!.Value, s.Abnormal == true ? 1 : 0, s.ModelSha256))
            .ToListAsync(ct);
        var views = await ScreenRunner.ViewRows(db, db.Views.Where(v => v.State == ViewState.Scored)).ToListAsync(ct);
        return new(studies, views.Select(v => new ViewPoint(v.StudyInstanceUid, v.SopInstanceUid, v.File, v.PredictedBodyPart, v.PeakX, v.PeakY)).ToList());
    }
}
