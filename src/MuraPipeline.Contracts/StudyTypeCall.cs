namespace MuraPipeline.Contracts;

/// <summary>
/// What a study is, and what said so: a type of the seven from the DICOM Body Part Examined (<c>dicom</c>), from the
/// procedure and description attributes (<c>description</c>) or from the model's body-part head (<c>model</c>); or
/// out of scope, with the reason (a part the model never learned, or images that are not radiographs).
/// </summary>
public sealed record StudyTypeCall(string? Type, string? Source, string? OutOfScope)
{
    public static readonly StudyTypeCall Unknown = new(null, null, null);

    public const string Dicom = "dicom";
    public const string Description = "description";
    public const string Folder = "folder";
    public const string Model = "model";
}
