namespace MuraPipeline.Phantoms;

public enum PhantomFormat
{
    /// <summary>DICOM Part-10 files, one folder per patient and accession.</summary>
    Dicom,

    /// <summary>A MURA-layout tree of 8-bit derivatives made by the pipeline's own pixel pipeline.</summary>
    Mura,
}
