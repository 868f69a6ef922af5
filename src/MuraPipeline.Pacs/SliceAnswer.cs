namespace MuraPipeline.Pacs;

/// <summary>What one slice's query returned: whether the PACS stopped short, how many matches came, and whether any lacked a Study Date or Time (no narrower range matches those).</summary>
public sealed record SliceAnswer(bool Capped, int Matches, bool Undated, bool Untimed);
