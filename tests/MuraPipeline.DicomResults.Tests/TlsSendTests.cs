using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Hosting;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.DicomResults.Tests;

/// <summary>
/// The results role sends over DICOM TLS to Orthanc, which requires our certificate: a destination marked Tls gets
/// every object; the same Orthanc named without Tls gets nothing and the delivery says why.
/// </summary>
public sealed class TlsSendTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private TestPki _pki = null!;
    private OrthancServer _orthanc = null!;
    private SqliteServices _sqlite = null!;

    public async Task InitializeAsync()
    {
        _pki = TestPki.Create(Path.Combine(_dir, "pki"));
        _orthanc = await OrthancServer.StartAsync(Path.Combine(_dir, "orthanc"), new Dictionary<string, (string, int)>(), (_pki.ServerCert, _pki.ServerKey, _pki.AuthorityCert));
        var port = _orthanc.DicomPort.ToString(CultureInfo.InvariantCulture);
        _sqlite = await SqliteServices.StartAsync(
            new Dictionary<string, string?>
            {
                ["Scp:Tls:Certificate"] = _pki.ClientCert,
                ["Scp:Tls:Key"] = _pki.ClientKey,
                ["Scp:Tls:ServerAuthority"] = _pki.AuthorityCert,
                ["Results:Destinations:secure:AeTitle"] = OrthancServer.AeTitle,
                ["Results:Destinations:secure:Port"] = port,
                ["Results:Destinations:secure:Tls"] = "true",
                ["Results:Destinations:plain:AeTitle"] = OrthancServer.AeTitle,
                ["Results:Destinations:plain:Port"] = port,
                ["Results:RetryDelaySeconds"] = "0",
                ["Results:TimeoutSeconds"] = "5",
            },
            (services, configuration, database) => services.AddMuraData(database, configuration).AddResults(configuration, worker: true),
            _dir);
    }

    public async Task DisposeAsync()
    {
        await _orthanc.DisposeAsync();
        await _sqlite.DisposeAsync();
    }

    [Fact]
    public async Task Objects_reach_a_tls_destination_and_a_plain_association_to_it_fails_with_a_reason()
    {
        using var objects = new ResultObjectTests();
        var study = objects.Scored();
        var id = Guid.NewGuid();
        var built = ResultWriter.Build(study, _sqlite.Provider.GetRequiredService<IOptions<ResultOptions>>().Value, DateTimeOffset.UtcNow);
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            db.Studies.Add(new Study { Id = id, StudyInstanceUid = study.StudyInstanceUid, Source = "dicom", State = StudyState.Scored, ModelSha256 = study.ModelSha256, Score = study.Score, ViewCount = study.Views.Count });
            await db.SaveChangesAsync();
            Assert.True(await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().RecordAsync(id, study, built, default));
        }

        await _sqlite.Provider.GetRequiredService<ResultsWorker>().PassAsync(default);

        var instances = await _orthanc.Http.GetFromJsonAsync<JsonElement>("instances");
        Assert.Equal(built.Count, instances.GetArrayLength());
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            var deliveries = await scope.ServiceProvider.GetRequiredService<MuraDbContext>().ResultDeliveries.AsNoTracking().ToListAsync();
            Assert.All(deliveries.Where(d => d.Destination == "secure"), d => Assert.Equal(DeliveryState.Sent, d.State));
            var plain = deliveries.Where(d => d.Destination == "plain").ToList();
            Assert.Equal(built.Count, plain.Count);
            Assert.All(plain, d =>
            {
                Assert.Equal((DeliveryState.Pending, 1), (d.State, d.Attempts));
                Assert.Contains("cannot send to plain", d.LastError, StringComparison.Ordinal);
            });
        }
    }
}
