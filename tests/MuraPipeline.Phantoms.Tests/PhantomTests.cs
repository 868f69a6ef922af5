using System.Security.Cryptography;
using MuraPipeline.Contracts;
using MuraPipeline.Tests;

namespace MuraPipeline.Phantoms.Tests;

public sealed class PhantomTests
{
    private static string HashTree(string dir) => Convert.ToHexString(SHA256.HashData(
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .SelectMany(f => File.ReadAllBytes(f).Concat(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(dir, f)))).ToArray()));

    [Fact]
    public void Same_seed_writes_the_same_bytes_and_another_seed_does_not()
    {
        var a = Peers.TempDir();
        var b = Peers.TempDir();
        var c = Peers.TempDir();
        try
        {
            PhantomWriter.WriteAll(new PhantomGenerator(5, minSide: 300, maxSide: 400), 4, a, PhantomFormat.Dicom);
            PhantomWriter.WriteAll(new PhantomGenerator(5, minSide: 300, maxSide: 400), 4, b, PhantomFormat.Dicom);
            PhantomWriter.WriteAll(new PhantomGenerator(6, minSide: 300, maxSide: 400), 4, c, PhantomFormat.Dicom);
            Assert.Equal(HashTree(a), HashTree(b));
            Assert.NotEqual(HashTree(a), HashTree(c));
        }
        finally
        {
            foreach (var d in new[] { a, b, c })
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }

    [Fact]
    public void Studies_cover_every_body_part_with_one_to_four_views_of_realistic_size()
    {
        var g = new PhantomGenerator(9);
        var studies = Enumerable.Range(0, 40).Select(g.Generate).ToList();
        Assert.Equal(StudyTypes.All.Order(), studies.Select(s => s.BodyPart).Distinct().Order());
        Assert.All(studies, s => Assert.InRange(s.Views.Count, 1, 4));
        Assert.All(studies.SelectMany(s => s.Views), v =>
        {
            Assert.InRange(Math.Max(v.Frame.Width, v.Frame.Height), 1500, 2500);
            Assert.InRange(v.Frame.Values.Max(), 0, 4095);
        });
        Assert.Contains(studies.SelectMany(s => s.Views), v => v.Monochrome1);
        Assert.Contains(studies.SelectMany(s => s.Views), v => !v.Monochrome1);
    }

    [Fact]
    public void Abnormal_studies_have_a_lesion_box_on_a_view_and_normal_ones_none()
    {
        var g = new PhantomGenerator(13, minSide: 600, maxSide: 800);
        var studies = Enumerable.Range(0, 30).Select(g.Generate).ToList();
        Assert.Contains(studies, s => s.Abnormal);
        Assert.Contains(studies, s => !s.Abnormal);
        Assert.All(studies.Where(s => s.Abnormal), s => Assert.Contains(s.Views, v => v.Lesion is not null));
        Assert.All(studies.Where(s => !s.Abnormal), s => Assert.All(s.Views, v => Assert.Null(v.Lesion)));
    }

    [Fact]
    public void A_finding_changes_the_pixels_inside_its_box()
    {
        // The same anatomy with and without its finding differs inside the labelled box: the label is where the finding is.
        var abnormal = new PhantomGenerator(21, abnormalFraction: 1.0, minSide: 600, maxSide: 800).Generate(3);
        var normal = new PhantomGenerator(21, abnormalFraction: 0.0, minSide: 600, maxSide: 800).Generate(3);
        var view = abnormal.Views.First(v => v.Lesion is not null);
        var same = normal.Views[view.Index];
        var box = view.Lesion!;
        double inside = 0;
        var n = 0;
        for (var y = box.Y0; y <= box.Y1; y++)
        {
            for (var x = box.X0; x <= box.X1; x++)
            {
                var i = (y * view.Frame.Width) + x;
                inside += Math.Abs(view.Frame.Values[i] - same.Frame.Values[i]);
                n++;
            }
        }

        Assert.True(inside / n > 30, $"mean absolute difference inside the box is only {inside / n:0.0}");
    }
}
