using System.Text;

namespace MuraPipeline.Contracts;

/// <summary>
/// The one study-type resolver (ingest, the pull filter, thresholds, reports). Body Part Examined goes through a
/// table of DICOM defined terms and common local spellings first (laterality words and view counts are ignored,
/// accents folded, a few languages known); then, in order, Requested Procedure Description, Study Description,
/// Series Description and Protocol Name by keyword; only when none of them says, the model decides (the views'
/// majority, after scoring). A header that names a part outside the seven (ankle, knee, chest, spine…) or a modality
/// that is not radiography makes the study out of scope. A header that names two of the seven ("HAND AND WRIST")
/// decides nothing; the next attribute is asked. Sites add spellings as <c>StudyTypes:Aliases:SPELLING = TYPE</c>
/// (a type of the seven, or <c>OUT</c> for a part outside them).
/// </summary>
public sealed class StudyTypeResolver
{
    /// <summary>Modalities whose images are radiographs (with secondary captures of them); any other named modality is out of scope.</summary>
    public static readonly IReadOnlySet<string> Radiography = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "CR", "DX", "DR", "RG", "OT", "SC" };

    public const string Out = "OUT";

    private static readonly Dictionary<string, string> Builtin = Table();

    private readonly Dictionary<string, string> _terms;

    public StudyTypeResolver(IReadOnlyDictionary<string, string>? aliases = null)
    {
        _terms = new Dictionary<string, string>(Builtin, StringComparer.Ordinal);
        foreach (var (spelling, type) in aliases ?? new Dictionary<string, string>())
        {
            var key = Fold(spelling);
            var value = Fold(type);
            if (key.Length == 0 || (value != Out && !StudyTypes.All.Contains(value)))
            {
                throw new ArgumentException($"StudyTypes:Aliases:{spelling} is '{type}'; it is one of {string.Join(", ", StudyTypes.All)} or {Out}");
            }

            _terms[key] = value;
        }
    }

    public static readonly StudyTypeResolver Default = new();

    /// <summary>The call for one instance's headers; <see cref="StudyTypeCall.Unknown"/> when none of them says (the model decides later).</summary>
    public StudyTypeCall Resolve(string? bodyPartExamined, string? modality, params string?[] descriptions)
    {
        if (!string.IsNullOrWhiteSpace(modality) && !Radiography.Contains(modality.Trim()))
        {
            return new StudyTypeCall(null, StudyTypeCall.Dicom, $"modality {modality.Trim().ToUpperInvariant()} is not radiography");
        }

        if (Read(bodyPartExamined) is { } part)
        {
            return Call(part, StudyTypeCall.Dicom, "Body Part Examined", bodyPartExamined!);
        }

        foreach (var text in descriptions)
        {
            if (Read(text) is { } found)
            {
                return Call(found, StudyTypeCall.Description, "the description", text!);
            }
        }

        return StudyTypeCall.Unknown;
    }

    /// <summary>What one value names: a type, <see cref="Out"/> with the part, or null (nothing, or two of the seven).</summary>
    public string? Read(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var words = Fold(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var types = new List<string>();
        string? outside = null;
        for (var i = 0; i < words.Length; i++)
        {
            // Two-word terms first (UPPER ARM, AVANT BRAS), then the word alone.
            if (i + 1 < words.Length && _terms.TryGetValue($"{words[i]} {words[i + 1]}", out var two))
            {
                Note(two, $"{words[i]} {words[i + 1]}");
                i++;
                continue;
            }

            if (_terms.TryGetValue(words[i], out var one))
            {
                Note(one, words[i]);
            }
        }

        var distinct = types.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : distinct.Count == 0 && outside is not null ? $"{Out}:{outside}" : null;

        void Note(string type, string word)
        {
            if (type == Out)
            {
                outside ??= word;
            }
            else
            {
                types.Add(type);
            }
        }
    }

    private static StudyTypeCall Call(string found, string source, string attribute, string value) =>
        found.StartsWith(Out + ":", StringComparison.Ordinal)
            ? new StudyTypeCall(null, source, $"{attribute} '{value.Trim()}' names {found[(Out.Length + 1)..]}, not one of the seven upper-extremity study types")
            : new StudyTypeCall(found, source, null);

    /// <summary>Upper case, accents folded (by table: the product runs with invariant globalization, which does not decompose), every run of other characters one space.</summary>
    public static string Fold(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var c in text.ToUpperInvariant())
        {
            b.Append(c switch
            {
                'À' or 'Á' or 'Â' or 'Ã' or 'Ä' or 'Å' => "A",
                'Æ' => "AE",
                'Ç' => "C",
                'È' or 'É' or 'Ê' or 'Ë' => "E",
                'Ì' or 'Í' or 'Î' or 'Ï' => "I",
                'Ñ' => "N",
                'Ò' or 'Ó' or 'Ô' or 'Õ' or 'Ö' or 'Ø' => "O",
                'Ù' or 'Ú' or 'Û' or 'Ü' => "U",
                'Ý' => "Y",
                'ß' => "SS",
                _ when char.IsLetterOrDigit(c) => c.ToString(),
                _ => " ",
            });
        }

        return string.Join(' ', b.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Dictionary<string, string> Table()
    {
        var t = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string type, params string[] spellings)
        {
            foreach (var s in spellings)
            {
                t[Fold(s)] = type;
            }
        }

        // The seven: DICOM defined terms (PS3.16 CID 4031), abbreviations seen in RIS procedure names, and German, French, Spanish, Italian and Portuguese.
        Add("ELBOW", "ELBOW", "ELB", "ELLENBOGEN", "ELLBOGEN", "COUDE", "CODO", "GOMITO", "COTOVELO", "OLECRANON");
        Add("FINGER", "FINGER", "FINGERS", "FING", "FGR", "THUMB", "DIGIT", "DIGITS", "DAUMEN", "DOIGT", "DOIGTS", "POUCE", "DEDO", "DEDOS", "PULGAR", "DITO", "DITA", "POLLICE");
        Add("FOREARM", "FOREARM", "LOWER ARM", "FARM", "UNTERARM", "AVANT BRAS", "AVANTBRAS", "ANTEBRAZO", "AVAMBRACCIO", "ANTEBRACO");
        Add("HAND", "HAND", "HANDS", "HND", "MANO", "MANOS", "MAIN", "MAINS", "MAO", "METACARPAL");
        Add("HUMERUS", "HUMERUS", "HUMERAL", "HUM", "UPPER ARM", "ARM", "OBERARM", "HUMERO", "BRAS", "BRAZO", "BRACCIO", "BRACO");
        Add("SHOULDER", "SHOULDER", "SHLDR", "SHLD", "SCHULTER", "EPAULE", "HOMBRO", "SPALLA", "OMBRO");
        Add("WRIST", "WRIST", "WRISTS", "WRT", "HANDGELENK", "POIGNET", "MUNECA", "POLSO", "PUNHO", "SCAPHOID", "CARPUS", "CARPAL");

        // Parts outside the seven: the model never learned them, so it must never call them normal. Words that also name
        // a part of the seven's bones (HEAD and NECK of the humerus or radius) are not here.
        Add(Out, "ANKLE", "KNEE", "FOOT", "FEET", "TOE", "TOES", "HEEL", "CALCANEUS", "HIP", "HIPS", "FEMUR", "TIBIA", "FIBULA", "LEG", "LOWER LIMB", "LOWER EXTREMITY", "LOWEREXTREMITY",
            "CHEST", "THORAX", "RIB", "RIBS", "STERNUM", "LUNG", "SPINE", "CSPINE", "TSPINE", "LSPINE", "SSPINE", "CERVICAL", "THORACIC", "LUMBAR", "SACRUM", "COCCYX",
            "SKULL", "SINUS", "SINUSES", "MANDIBLE", "PELVIS", "ABDOMEN", "ABD", "KUB", "BREAST", "CLAVICLE", "SCAPULA",
            "SPRUNGGELENK", "KNIE", "FUSS", "HUEFTE", "HUFTE", "BECKEN", "WIRBELSAULE", "SCHADEL", "CHEVILLE", "GENOU", "PIED", "HANCHE", "BASSIN", "RACHIS", "CRANE",
            "TOBILLO", "RODILLA", "PIE", "CADERA", "TORAX", "COLUMNA", "CRANEO", "CAVIGLIA", "GINOCCHIO", "PIEDE", "ANCA", "BACINO", "TORACE", "TORNOZELO", "JOELHO");
        return t;
    }
}
