using MuraPipeline.Imaging;
using MuraPipeline.Tests;

namespace MuraPipeline.Evaluation.Tests;

/// <summary>The one labels reader: our tables and MURA's own CSVs as shipped.</summary>
public sealed class LabelsTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        return path;
    }

    [Fact]
    public void A_table_with_a_header_gives_every_row_its_reader_time_body_part_and_boxes()
    {
        var set = Labels.Read(Write("labels.csv", "study_uid,body_part,label,reader,read_at,boxes", "1.2.3,wrist,POSITIVE,dr-lee,2026-11-23T08:00:00Z,1.2.3.1 10 20 30 40", "1.2.4,,normal,,,", "1.2.3,WRIST,0,,,"));
        Assert.Equal(LabelsFormat.Table, set.Format);
        Assert.Equal(3, set.Rows.Count);
        Assert.Equal(("WRIST", 1, "dr-lee"), (set.Rows[0].BodyPart, set.Rows[0].Label, set.Rows[0].Reader));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero), set.Rows[0].ReadAt);
        Assert.Null(set.Rows[1].BodyPart);
        Assert.Equal(0, set.ByStudy["1.2.3"].Label); // a later row for the same study wins
        Assert.Equal(new LabelBox("1.2.3.1", 10, 20, 30, 40), Assert.Single(set.Boxes));
    }

    [Fact]
    public void Muras_csvs_are_matched_by_study_folder_whatever_sits_before_XR()
    {
        var studies = Labels.Read(Write("valid_labeled_studies.csv", "MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/,1", "/data/elsewhere/XR_ELBOW/patient11186/study2_negative/,0"));
        Assert.Equal(LabelsFormat.MuraStudies, studies.Format);
        Assert.Equal([MuraLayout.StudyUid("XR_WRIST/patient11185/study1_positive"), MuraLayout.StudyUid("XR_ELBOW/patient11186/study2_negative")], studies.Rows.Select(r => r.StudyInstanceUid));
        Assert.Equal([("WRIST", 1), ("ELBOW", 0)], studies.Rows.Select(r => (r.BodyPart!, r.Label)));

        var images = Labels.Read(Write("valid_image_paths.csv", "MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image1.png", "MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image2.png", "MURA-v1.1/valid/XR_HAND/patient11187/study1_negative/image1.png"));
        Assert.Equal(LabelsFormat.MuraImages, images.Format);
        Assert.Equal([1, 0], images.Rows.Select(r => r.Label));
        Assert.Equal(studies.Rows[0].StudyInstanceUid, images.Rows[0].StudyInstanceUid);
    }

    [Fact]
    public void A_bad_row_is_an_error_naming_the_file_and_line()
    {
        Assert.Contains("line 3: label 'true'", Assert.Throws<InvalidDataException>(() => Labels.Read(Write("a.csv", "study_uid,label", "1.2.3,abnormal", "1.2.4,true"))).Message, StringComparison.Ordinal);
        Assert.Contains("line 2: body_part 'KNEE'", Assert.Throws<InvalidDataException>(() => Labels.Read(Write("b.csv", "study_uid,label,body_part", "1.2.3,1,KNEE"))).Message, StringComparison.Ordinal);
        Assert.Contains("carries no label", Assert.Throws<InvalidDataException>(() => Labels.Read(Write("c.csv", "MURA-v1.1/valid/XR_WRIST/patient1/study1/image1.png"))).Message, StringComparison.Ordinal);
        Assert.Contains("has no column 'label'", Assert.Throws<InvalidDataException>(() => Labels.Read(Write("d.csv", "study_uid,score", "1.2.3,0.4"))).Message, StringComparison.Ordinal);
        Assert.Contains("line 1", Assert.Throws<InvalidDataException>(() => Labels.Read(Write("e.csv", "hello,world"))).Message, StringComparison.Ordinal);
    }
}
