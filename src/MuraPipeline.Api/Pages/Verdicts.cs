using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Api.Access;
using MuraPipeline.Contracts;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Pages;

/// <summary>A reader's verdict, the one way both the JSON API and the study page record it: checked, stored, audited.</summary>
public static class Verdicts
{
    public static async Task<VerdictRecorded> RecordAsync(HttpContext http, MuraDbContext db, GroundTruthStore store, AuditLog audit, string studyInstanceUid, VerdictRequest request, CancellationToken ct)
    {
        // A signed-in reader's verdict is theirs; a key client (an import from the RIS) names the reader.
        if (http.User.ViaCookie())
        {
            request = request with { Reader = http.User.Identity!.Name };
        }

        if (request.Problem() is { } problem)
        {
            return new VerdictRecorded(problem, false, null, false);
        }

        if (!await db.Studies.AnyAsync(s => s.StudyInstanceUid == studyInstanceUid, ct))
        {
            return new VerdictRecorded($"no study {studyInstanceUid}", true, null, false);
        }

        var verdict = new VerdictInput(studyInstanceUid, request.Abnormal!.Value, StudyTypes.Normalise(request.BodyPart), request.Reader!.Trim(), request.ReadAt?.ToUniversalTime());
        var recorded = await store.AddAsync([verdict], "api", ct);
        await audit.RecordAsync(http.Actor().Did("verdict.add", studyInstanceUid, $"{(verdict.Abnormal ? "abnormal" : "normal")} by {verdict.ReaderId}{(recorded.Duplicates > 0 ? " (already recorded)" : string.Empty)}"), ct);
        return new VerdictRecorded(null, false, recorded.LastId, recorded.Duplicates > 0);
    }
}
