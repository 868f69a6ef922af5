using MuraPipeline.Contracts;

namespace MuraPipeline.Ingest.Tests;

/// <summary>The one study-type resolver: headers as real archives write them, in order, with the source of each call.</summary>
public sealed class StudyTypeResolverTests
{
    private static readonly StudyTypeResolver Types = StudyTypeResolver.Default;

    [Theory]
    [InlineData("WRIST", null, "WRIST", "dicom")]
    [InlineData("L HAND", null, "HAND", "dicom")]
    [InlineData("MANO", null, "HAND", "dicom")]
    [InlineData("Poignet", null, "WRIST", "dicom")]
    [InlineData("HANDGELENK", null, "WRIST", "dicom")]
    [InlineData("MUÑECA", null, "WRIST", "dicom")]
    [InlineData("UPPER ARM", null, "HUMERUS", "dicom")]
    [InlineData("THUMB", null, "FINGER", "dicom")]
    [InlineData(null, "XR WRIST 3V LT", "WRIST", "description")]
    [InlineData("", "XR ELBOW RT", "ELBOW", "description")]
    [InlineData("UPPER EXTREMITY", "XR ELBOW RT", "ELBOW", "description")]
    [InlineData("UPPEREXTREMITY", "x-ray, avant-bras gauche", "FOREARM", "description")]
    [InlineData(null, "RADIAL HEAD, RIGHT ELBOW 2 VIEWS", "ELBOW", "description")]
    [InlineData(null, "XR HUMERUS NECK LT", "HUMERUS", "description")]
    public void The_headers_give_the_type_and_where_it_came_from(string? bodyPart, string? description, string type, string source)
    {
        var call = Types.Resolve(bodyPart, "CR", null, description);
        Assert.Equal((type, source, (string?)null), (call.Type, call.Source, call.OutOfScope));
    }

    [Theory]
    [InlineData("ANKLE", null, "ANKLE")]
    [InlineData(null, "XR ANKLE 3V", "ANKLE")]
    [InlineData("KNEE", "XR WRIST", "KNEE")]
    [InlineData("CHEST", null, "CHEST")]
    [InlineData(null, "TORAX PA", "TORAX")]
    [InlineData(null, "L-SPINE 2V", "SPINE")]
    [InlineData("PELVIS", null, "PELVIS")]
    [InlineData(null, "Rodilla derecha", "RODILLA")]
    public void A_part_outside_the_seven_is_out_of_scope_with_its_reason(string? bodyPart, string? description, string named)
    {
        var call = Types.Resolve(bodyPart, "DX", description);
        Assert.Null(call.Type);
        Assert.Contains($"names {named}", call.OutOfScope, StringComparison.Ordinal);
    }

    [Fact]
    public void Images_that_are_not_radiographs_are_out_of_scope_and_an_unknown_modality_is_not()
    {
        Assert.Contains("modality CT is not radiography", Types.Resolve("WRIST", "CT").OutOfScope, StringComparison.Ordinal);
        Assert.Equal("WRIST", Types.Resolve("WRIST", null).Type);
        Assert.Equal("WRIST", Types.Resolve("WRIST", "DX").Type);
    }

    [Fact]
    public void Nothing_said_or_two_types_said_leave_the_call_to_the_model()
    {
        Assert.Equal(StudyTypeCall.Unknown, Types.Resolve(null, "CR", null, "", "   "));
        Assert.Equal(StudyTypeCall.Unknown, Types.Resolve("UPPER EXTREMITY", "CR", "XR OUTSIDE FILM"));
        Assert.Equal(StudyTypeCall.Unknown, Types.Resolve(null, "CR", "HAND AND WRIST"));

        // Two types in the first description, one in the next: the next decides.
        Assert.Equal(("FINGER", "description"), (Types.Resolve(null, "CR", "HAND AND WRIST", "XR FINGER 3V").Type, Types.Resolve(null, "CR", "HAND AND WRIST", "XR FINGER 3V").Source));
    }

    [Fact]
    public void A_site_adds_its_own_spellings_and_a_wrong_one_is_named()
    {
        var site = new StudyTypeResolver(new Dictionary<string, string> { ["POLS"] = "WRIST", ["HAAND"] = "hand", ["ENKEL"] = "out" });
        Assert.Equal("WRIST", site.Resolve("POLS", "CR").Type);
        Assert.Equal("HAND", site.Resolve(null, "CR", "RX HAAND LINKS").Type);
        Assert.Contains("names ENKEL", site.Resolve("ENKEL", "CR").OutOfScope, StringComparison.Ordinal);
        Assert.Null(StudyTypeResolver.Default.Resolve("POLS", "CR").Type);
        Assert.Contains("StudyTypes:Aliases:KNIE", Assert.Throws<ArgumentException>(() => new StudyTypeResolver(new Dictionary<string, string> { ["KNIE"] = "LEG" })).Message, StringComparison.Ordinal);
    }
}
