namespace MuraPipeline.Evaluation;

/// <summary>Which of the understood layouts a labels file has.</summary>
public enum LabelsFormat
{
    /// <summary>A CSV with a header naming study_uid and label (labels.csv of `mura phantoms`, or an import file).</summary>
    Table,

    /// <summary>MURA's <c>*_labeled_studies.csv</c>: no header, <c>MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/,1</c>.</summary>
    MuraStudies,

    /// <summary>MURA's <c>*_image_paths.csv</c>: no header, one image path a line; the label is the study folder's suffix.</summary>
    MuraImages,
}
