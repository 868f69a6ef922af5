using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MuraPipeline.Cli.Commands;

/// <summary>The options classes of every assembly `mura` runs, read by reflection and their XML documentation.</summary>
public static class SettingsCatalog
{
    /// <summary>One setting: its configuration key (Section:Key), type, default, allowed values and description.</summary>
    public sealed record Entry(string Key, string Type, string Default, string Allowed, string Description)
    {
        /// <summary>The key as an environment variable (.NET reads Section__Key).</summary>
        public string Environment => Key.Replace(":", "__", StringComparison.Ordinal);
    }

    /// <summary>One options class and the settings it reads.</summary>
    public sealed record Group(string Section, Type Type, string Description, IReadOnlyList<Entry> Settings);

    /// <summary>The assemblies whose options classes are listed (one type from each).</summary>
    private static readonly Type[] Anchors =
    [
        typeof(Data.DatabaseOptions),
        typeof(ServiceDefaults.MessagingOptions),
        typeof(Dicom.Network.StoreScpOptions),
        typeof(Ingest.IngestOptions),
        typeof(Inference.InferenceOptions),
        typeof(Pacs.PacsOptions),
        typeof(Scheduler.ExportOptions),
        typeof(DicomResults.ResultOptions),
        typeof(Api.Access.KeyRingOptions),
        typeof(Hosting.StudyTypeOptions),
    ];

    public static IReadOnlyList<Group> Groups()
    {
        var groups = new List<Group>();
        foreach (var assembly in Anchors.Select(a => a.Assembly).Distinct())
        {
            var docs = XmlDocs.For(assembly);
            foreach (var type in assembly.GetExportedTypes().Where(t => t.IsClass && !t.IsAbstract))
            {
                if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field || field.GetRawConstantValue() is not string section)
                {
                    continue;
                }

                var settings = new List<Entry>();
                Collect(type, section, Instance(type), docs, settings, depth: 0);
                groups.Add(new Group(section, type, docs.Summary(type), settings));
            }
        }

        return groups.OrderBy(g => g.Section, StringComparer.Ordinal).ThenBy(g => g.Type.Name, StringComparer.Ordinal).ToList();
    }

    public static string Text()
    {
        var sb = new StringBuilder();
        foreach (var g in Groups())
        {
            foreach (var s in g.Settings)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{s.Environment}  (default {s.Default}{(s.Allowed.Length > 0 ? "; " + s.Allowed : string.Empty)})\n    {s.Description}\n");
            }
        }

        return sb.ToString();
    }

    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("""
            # Configuration

            Every setting `mura` reads, generated from its options classes by `mura settings --markdown` (a test fails when
            this page and the code disagree). Each is read, lowest precedence first, from `appsettings.json` beside the
            program, `appsettings.json` in the working folder, the environment, and then the command's own options. In
            JSON a setting is nested by section (`{"Ingest": {"QuietPeriodSeconds": 10}}`); in the environment its parts are
            joined by two underscores (`Ingest__QuietPeriodSeconds=10`); a list or a map takes an index or a name as one more
            part, shown as NAME below (`Pacs__Nodes__main__AeTitle`, `Inference__Thresholds__WRIST`). A value of the wrong type, or outside the
            allowed range, stops the process with the setting named.


            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        sb.Append("| section | class |\n| --- | --- |\n");
        foreach (var g in Groups())
        {
            sb.Append(CultureInfo.InvariantCulture, $"| [{g.Section}](#{Anchor(g)}) | `{g.Type.Name}` |\n");
        }

        foreach (var g in Groups())
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n## {g.Section} ({g.Type.Name})\n\n");
            if (g.Description.Length > 0)
            {
                sb.Append(g.Description).Append("\n\n");
            }

            sb.Append("| environment variable | default | allowed | what it does |\n| --- | --- | --- | --- |\n");
            foreach (var s in g.Settings)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| `{s.Environment}` | {Cell(s.Default)} | {Cell(s.Allowed)} | {Cell(s.Description)} |\n");
            }
        }

        return sb.ToString();
    }

    private static string Anchor(Group g) =>
        Regex.Replace($"{g.Section} ({g.Type.Name})".ToLowerInvariant(), @"[^a-z0-9 _-]", string.Empty).Replace(' ', '-');

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static object? Instance(Type type) =>
        type.GetConstructor(Type.EmptyTypes) is null ? null : Activator.CreateInstance(type);

    private static void Collect(Type type, string prefix, object? instance, XmlDocs docs, List<Entry> into, int depth)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0))
        {
            var key = $"{prefix}:{p.Name}";
            var value = instance is null ? null : p.GetValue(instance);
            var element = ElementOf(p.PropertyType);
            if (element is not null && IsGroup(element.Value.Item) && depth < 3)
            {
                // A list or map of objects: each of its settings under an index or a name.
                var part = element.Value.Keyed ? "NAME" : "0";
                into.Add(new Entry(key, element.Value.Keyed ? "map" : "list", "none", string.Empty, docs.Summary(p)));
                Collect(element.Value.Item, $"{key}:{part}", Instance(element.Value.Item), docs, into, depth + 1);
                continue;
            }

            if (element is null && IsGroup(p.PropertyType) && depth < 3)
            {
                Collect(p.PropertyType, key, value, docs, into, depth + 1);
                continue;
            }

            if (element is { Keyed: true })
            {
                key += ":NAME";
            }

            into.Add(new Entry(key, TypeName(p.PropertyType), Format(value), Allowed(p), docs.Summary(p)));
        }
    }

    /// <summary>The item type of a list, array or string-keyed map, and whether it is keyed; null for anything else.</summary>
    private static (Type Item, bool Keyed)? ElementOf(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            return (type.GetElementType()!, false);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var def && (def == typeof(Dictionary<,>) || def == typeof(IDictionary<,>) || def == typeof(IReadOnlyDictionary<,>)))
        {
            return (type.GetGenericArguments()[1], true);
        }

        if (type.IsGenericType && type.GetGenericArguments().Length == 1 && typeof(IEnumerable).IsAssignableFrom(type))
        {
            return (type.GetGenericArguments()[0], false);
        }

        return null;
    }

    /// <summary>A class of settings of its own (nested), not a value.</summary>
    private static bool IsGroup(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && type.Namespace?.StartsWith("MuraPipeline", StringComparison.Ordinal) == true;

    private static string TypeName(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (ElementOf(t) is { } e)
        {
            return TypeName(e.Item) + (e.Keyed ? " by name" : " list");
        }

        return t switch
        {
            _ when t == typeof(string) => "text",
            _ when t == typeof(bool) => "true/false",
            _ when t == typeof(int) || t == typeof(long) => "integer",
            _ when t == typeof(double) || t == typeof(float) => "number",
            _ when t == typeof(TimeSpan) => "time span",
            _ when t.IsEnum => string.Join("/", Enum.GetNames(t)),
            _ => t.Name,
        };
    }

    private static string Format(object? value) => value switch
    {
        null => "none",
        string s when s.Length == 0 => "empty",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IDictionary { Count: 0 } or ICollection { Count: 0 } => "none",
        IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Format)),
        _ => value.ToString() ?? "none",
    };

    private static string Allowed(PropertyInfo p)
    {
        var parts = new List<string>();
        if (p.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Format(range.Minimum)} to {Format(range.Maximum)}"));
        }

        if (p.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed)
        {
            parts.Add(string.Join(", ", allowed.Values.Select(Format)));
        }

        if ((Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) is { IsEnum: true } e)
        {
            parts.Add(string.Join(", ", Enum.GetNames(e)));
        }

        return string.Join("; ", parts);
    }

    /// <summary>The summaries of one assembly's XML documentation (generated by the build beside it), as plain text.</summary>
    private sealed class XmlDocs(Dictionary<string, string> summaries)
    {
        public static XmlDocs For(Assembly assembly)
        {
            var file = Path.ChangeExtension(assembly.Location, ".xml");
            var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
            if (File.Exists(file))
            {
                foreach (var member in XDocument.Load(file).Descendants("member"))
                {
                    if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
                    {
                        summaries[name] = Plain(summary);
                    }
                }
            }

            return new XmlDocs(summaries);
        }

        public string Summary(Type type) => summaries.GetValueOrDefault("T:" + type.FullName!.Replace('+', '.'), string.Empty);

        public string Summary(PropertyInfo p) => summaries.GetValueOrDefault($"P:{p.DeclaringType!.FullName!.Replace('+', '.')}.{p.Name}", string.Empty);

        private static string Plain(XElement summary)
        {
            var sb = new StringBuilder();
            foreach (var node in summary.Nodes())
            {
                sb.Append(node switch
                {
                    XText t => t.Value,
                    XElement { Name.LocalName: "see" or "seealso" } e => Short(e.Attribute("cref")?.Value ?? e.Attribute("langword")?.Value ?? e.Value),
                    XElement { Name.LocalName: "c" or "paramref" or "typeparamref" } e => "`" + (e.Attribute("name")?.Value ?? e.Value) + "`",
                    XElement e => e.Value,
                    _ => string.Empty,
                });
            }

            return Regex.Replace(sb.ToString(), @"\s+", " ").Trim();
        }

        private static string Short(string cref)
        {
            var name = cref.Contains(':', StringComparison.Ordinal) ? cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..] : cref;
            var parts = name.Split('(')[0].Split('.');
            return "`" + (parts.Length >= 2 ? parts[^2] + "." + parts[^1] : parts[^1]) + "`";
        }
    }
}
