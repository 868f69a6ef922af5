using MuraPipeline.Inference;

namespace MuraPipeline.IntegrationTests;

/// <summary>The model registry under load: a version activated while two inference workers are scoring.</summary>
public sealed partial class DistributedTests
{
    [Fact]
    public async Task A_model_activated_in_the_middle_of_a_run_takes_over_between_batches_no_view_is_lost_and_every_score_names_its_model()
    {
        // Two versions: the bundled model, and the same network with another doc string (other bytes, so another SHA-256).
        var first = InferenceOptions.BundledModelPath;
        var second = Path.Combine(_c.Dir, "second.onnx");
        await File.WriteAllBytesAsync(second, WithDocString(await File.ReadAllBytesAsync(first), "second version"));
        var (code, text) = _c.RunMura("models", "add", first, "--activate");
        Assert.True(code == 0, text);
        var firstSha = text.Split("registered: ")[1][..64];

        var fast = new Dictionary<string, string> { ["Inference__ModelPollMs"] = "200", ["Inference__BatchSize"] = "4" };
        var firstHalf = Stage(24, seed: 611);
        _c.Serve("ingest", "ingest");
        var workers = new[] { _c.Serve("inference-1", "inference", fast), _c.Serve("inference-2", "inference", fast) };
        Drop();
        await _c.WaitUntilAsync(async () => await _c.ScalarAsync<int>("SELECT count(*) FROM scores") >= 8, Deadline, "the first scores");

        // Activate the second version while the first half is being scored; each worker switches at its next batch.
        (code, text) = _c.RunMura("models", "add", second, "--name", "second", "--activate");
        Assert.True(code == 0, text);
        var secondSha = text.Split("registered: ")[1][..64];
        Assert.NotEqual(firstSha, secondSha);
        await _c.WaitUntilAsync(() => Task.FromResult(workers.All(w => w.Log.Contains($"replaced by the newly active {secondSha}", StringComparison.Ordinal))), Deadline, "both workers to load the second version");
        var secondHalf = Stage(24, seed: 612);
        var lateStudies = File.ReadLines(Path.Combine(Staging, "labels.csv")).Skip(1).Select(l => $"'{l.Split(',')[0]}'").ToList();
        Drop();

        await WaitAllScoredAsync(48, firstHalf + secondHalf);
        await _c.AssertScoredExactlyOnceAsync(48, firstHalf + secondHalf);

        // Every score names a registered version and its batch; no batch mixes versions; both versions scored.
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT count(*) FROM scores WHERE \"BatchId\" IS NULL OR \"ModelSha256\" NOT IN (SELECT \"Sha256\" FROM model_versions)"));
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT count(*) FROM (SELECT \"BatchId\" FROM scores GROUP BY \"BatchId\" HAVING count(DISTINCT \"ModelSha256\") > 1) mixed"));
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT count(*) FROM views v JOIN scores x ON x.\"ViewId\" = v.\"Id\" WHERE v.\"ModelSha256\" <> x.\"ModelSha256\""));
        Assert.True(await _c.ScalarAsync<int>($"SELECT count(*) FROM scores WHERE \"ModelSha256\" = '{firstSha}'") > 0);

        // The views that arrived after the switch were all scored by the second version.
        const string LateViews = "SELECT count(*) FROM views v JOIN studies s ON s.\"Id\" = v.\"StudyId\" JOIN scores x ON x.\"ViewId\" = v.\"Id\" WHERE s.\"StudyInstanceUid\" IN ({0}) AND x.\"ModelSha256\" = '{1}'";
        Assert.Equal(secondHalf, await _c.ScalarAsync<int>(string.Format(System.Globalization.CultureInfo.InvariantCulture, LateViews, string.Join(',', lateStudies), secondSha)));
        Assert.Equal(secondSha, await _c.ScalarAsync<string>("SELECT \"Sha256\" FROM model_versions WHERE \"Active\""));

        // The api role renders a view's heatmap overlay on demand from the stored grid: an RGB PNG of the asked size.
        var api = _c.Serve("api", "api");
        var sop = await _c.ScalarAsync<string>("SELECT v.\"SopInstanceUid\" FROM views v JOIN heatmaps h ON h.\"ViewId\" = v.\"Id\" ORDER BY 1 LIMIT 1");
        using var http = _c.ApiClient(api, "reader");
        byte[]? png = null;
        await _c.WaitUntilAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"{api.Url}/api/views/{sop}/heatmap.png?size=256"));
                    png = response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync() : null;
                    return png is not null;
                }
                catch (HttpRequestException)
                {
                    return false; // the api process is still starting
                }
            },
            Deadline,
            "the api to serve a heatmap");
        var decoded = MuraPipeline.Imaging.Png.DecodeGray(png!); // a valid PNG (every chunk's CRC checked)
        Assert.Equal(256, Math.Max(decoded.Width, decoded.Height));
        Assert.Equal(2, png![25]); // IHDR colour type 2: RGB, the colour map over the gray derivative
        using var missing = await http.GetAsync(new Uri($"{api.Url}/api/views/1.2.3.4/heatmap.png"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>The model with its doc_string (ModelProto field 6) set: a later occurrence of a field wins in protobuf.</summary>
    private static byte[] WithDocString(byte[] model, string text)
    {
        var value = System.Text.Encoding.UTF8.GetBytes(text);
        Assert.True(value.Length < 128);
        return [.. model, 0x32, (byte)value.Length, .. value];
    }
}
