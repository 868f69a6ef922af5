using System.Globalization;
using MuraPipeline.Contracts;
using MuraPipeline.Dicom;

namespace MuraPipeline.Phantoms;

/// <summary>Makes synthetic 12-bit radiograph studies. Everything derives from (seed, study index): same seed, same bytes.</summary>
public sealed class PhantomGenerator
{
    private static readonly string[] Given = ["ALEX", "SAM", "MARIA", "JONAS", "LENA", "OMAR", "PRIYA", "CHEN", "ANA", "TOMAS", "IRIS", "KOFI", "NOOR", "ELIN", "RAFAEL", "YUKI"];
    private static readonly string[] Family = ["PHANTOM", "SYNTHETIC", "TESTCASE", "DUMMY", "MOCKUP", "SIMULANT"];
    private static readonly double[] MmPerUnit = [250, 110, 300, 250, 350, 300, 180];

    private readonly ulong _seed;

    public PhantomGenerator(ulong seed, double abnormalFraction = 0.5, int minSide = 1500, int maxSide = 2500)
    {
        _seed = seed;
        AbnormalFraction = abnormalFraction;
        MinSide = minSide;
        MaxSide = maxSide;
    }

    public double AbnormalFraction { get; }

    public int MinSide { get; }

    public int MaxSide { get; }

    public PhantomStudy Generate(int index)
    {
        var r = Rng.For(_seed, (ulong)index, 1);
        var part = r.Pick(StudyTypes.All);
        var abnormal = r.Chance(AbnormalFraction);
        var viewCount = r.Next() switch { < 0.15 => 1, < 0.6 => 2, < 0.9 => 3, _ => 4 };
        var anatomySeed = r.NextULong();
        var findingSeed = r.NextULong();
        var findingKind = abnormal ? r.Next() switch { < 0.5 => "fracture", < 0.75 => "hardware", _ => "lytic lesion" } : "none";
        var laterality = r.Chance(0.5) ? "L" : "R";
        var cr = r.Chance(0.3);
        var patientNumber = r.Int(1_000_000, 9_999_999);
        var name = $"{r.Pick(Family)}^{r.Pick(Given)}";
        var birth = new DateTime(1940, 1, 1).AddDays(r.Int(0, 365 * 70)).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var studyDate = new DateTime(2019, 1, 1).AddDays(r.Int(0, 365 * 6)).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var sex = r.Chance(0.5) ? "F" : "M";
        var accession = "ACC" + r.Int(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        var studyUid = Uid(index, "study");
        var views = new List<PhantomView>(viewCount);
        for (var v = 0; v < viewCount; v++)
        {
            views.Add(RenderView(index, v, part, anatomySeed, findingSeed, findingKind, laterality));
        }

        return new PhantomStudy(index, studyUid, Uid(index, "series"), part, abnormal, findingKind, name, $"PH{patientNumber}", birth, sex, studyDate, accession, laterality, cr, views);
    }

    private string Uid(int index, string kind, int view = 0) =>
        DicomUid.FromName(string.Create(CultureInfo.InvariantCulture, $"mura-phantom/{_seed}/{index}/{kind}/{view}"));

    private PhantomView RenderView(int study, int view, string part, ulong anatomySeed, ulong findingSeed, string findingKind, string laterality)
    {
        var r = Rng.For(_seed, (ulong)study, 2, (ulong)view);
        double[] squeezes = [1.0, 0.3, 0.65, 1.0];
        string[] positions = ["PA", laterality == "L" ? "LL" : "RL", laterality == "L" ? "LLO" : "RLO", "AP"];
        var scene = Anatomy.Build(part, new Rng(anatomySeed), squeezes[view]);
        var finding = AddFinding(scene, new Rng(findingSeed), findingKind);
        AddCanals(scene, new Rng(anatomySeed ^ 0x5DEECE66DUL));

        var longSide = r.Int(MinSide, MaxSide + 1);
        var aspect = scene.Aspect * r.Range(0.93, 1.07);
        int width, height;
        if (aspect <= 1)
        {
            height = longSide;
            width = Math.Max(MinSide / 2, (int)(longSide * aspect));
        }
        else
        {
            width = longSide;
            height = Math.Max(MinSide / 2, (int)(longSide / aspect));
        }

        var transform = new ViewTransform(width, height, r.Range(-0.25, 0.25), r.Range(0.88, 1.08), r.Range(-0.04, 0.04), r.Range(-0.04, 0.04), laterality == "L");
        var mm = MmPerUnit[StudyTypes.All.ToList().IndexOf(part)];
        var values = Render(scene, transform, r, mm);

        LesionBox? box = null;
        if (finding is not null && transform.PixelBounds(finding, marginPx: 3) is { } b)
        {
            box = new LesionBox(b.X0, b.Y0, b.X1, b.Y1);
        }

        // Photometric and modality LUT variants, as different vendors send them.
        var mono1 = r.Chance(0.25);
        var rescaled = !mono1 && r.Chance(0.2);
        var (lo, hi) = FieldRange(values);
        double? wc = (lo + hi) / 2 + r.Range(-60, 60);
        double? ww = (hi - lo) * r.Range(1.0, 1.2);
        if (r.Chance(0.15))
        {
            wc = null;
            ww = null;
        }

        var slope = 1.0;
        var intercept = 0.0;
        var stored = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            stored[i] = mono1 ? 4095 - values[i] : rescaled ? (values[i] + 1000) / 2 : values[i];
        }

        if (rescaled)
        {
            slope = 2.0;
            intercept = -1000.0;
        }

        if (mono1 && wc is not null)
        {
            wc = 4095 - wc.Value;
        }

        return new PhantomView(view, Uid(study, "image", view), positions[view], new StoredFrame(width, height, 1, stored), mono1, slope, intercept,
            wc is null ? null : Math.Round(wc.Value), ww is null ? null : Math.Round(ww.Value), Math.Round(mm / longSide * 1.1, 4), box);
    }

    private static IEnumerable<Vec>? AddFinding(Scene scene, Rng r, string kind)
    {
        if (kind == "none" || scene.Candidates.Count == 0)
        {
            return null;
        }

        var (bone, tMin, tMax) = r.Pick(scene.Candidates);
        var t = r.Range(tMin, tMax);
        var sign = r.Chance(0.5) ? 1 : -1;
        switch (kind)
        {
            case "fracture":
                bone.Fracture = new Fracture(t, r.Range(-0.6, 0.6), r.Range(0.12, 0.45), sign * r.Range(0.15, 0.9), r.Range(-0.2, 0.2), r.Range(0.04, 0.12), r.Range(2.5, 5));
                return bone.Fracture.Hull(bone).ToList();
            case "lytic lesion":
                bone.Lesion = new LyticLesion(t, r.Range(-0.3, 0.3), r.Range(0.7, 1.6), r.Range(0.45, 0.8), r.Range(0.45, 0.8), r.Range(0, 0.25));
                return bone.Lesion.Hull(bone).ToList();
            default:
                var metal = Hardware(bone, t, sign, r);
                scene.Parts.AddRange(metal);
                if (r.Chance(0.6))
                {
                    bone.Fracture = new Fracture(t, r.Range(-0.4, 0.4), 0.06, 0, 0, 0.03, 3);
                }

                return metal.SelectMany(m => m.Hull()).ToList();
        }
    }

    private static List<Metal> Hardware(LongBone bone, double t, int side, Rng r)
    {
        var axis = bone.Axis;
        var angle = Math.Atan2(axis.Y, axis.X);
        var radius = bone.RadiusAt(t);
        var n = axis.Perp;
        var parts = new List<Metal>();
        var style = r.Next();
        if (style < 0.55)
        {
            var half = Math.Min(bone.Length * r.Range(0.15, 0.28), bone.Length * Math.Min(t, 1 - t));
            var centre = bone.AtT(t) + (n * (side * radius * 1.15));
            parts.Add(new Metal(centre, half, radius * 0.17, angle, threaded: false));
            var screws = Math.Max(2, (int)(half * 2 / (radius * 1.1)));
            for (var i = 0; i < screws; i++)
            {
                var u = -half + ((i + 0.5) * (2 * half / screws));
                parts.Add(new Metal(bone.AtT(t) + (axis * u) + (n * (side * radius * 0.1)), radius * 1.2, radius * 0.09, angle + (Math.PI / 2), threaded: true));
            }
        }
        else if (style < 0.75)
        {
            var half = bone.Length * r.Range(0.25, 0.4);
            var centre = bone.AtT(Math.Clamp(t, 0.3, 0.7));
            parts.Add(new Metal(centre, half, radius * 0.3, angle, threaded: false));
            parts.Add(new Metal(centre + (axis * (half * 0.85)), radius * 1.25, radius * 0.08, angle + (Math.PI / 2), threaded: true));
            parts.Add(new Metal(centre - (axis * (half * 0.85)), radius * 1.25, radius * 0.08, angle + (Math.PI / 2), threaded: true));
        }
        else
        {
            var count = r.Int(1, 4);
            for (var i = 0; i < count; i++)
            {
                var u = (i - ((count - 1) / 2.0)) * radius * 0.9;
                parts.Add(new Metal(bone.AtT(t) + (axis * u), radius * 1.3, radius * 0.11, angle + (Math.PI / 2) + r.Range(-0.5, 0.5), threaded: true));
            }
        }

        return parts;
    }

    private static void AddCanals(Scene scene, Rng r)
    {
        foreach (var (bone, tMin, tMax) in scene.Candidates)
        {
            if (r.Chance(0.4))
            {
                bone.Canal = new NutrientCanal(r.Range(tMin, tMax), r.Range(0.5, 0.9) * (r.Chance(0.5) ? 1 : -1), r.Range(0.04, 0.07), r.Chance(0.5) ? 1 : -1);
            }
        }
    }

    /// <summary>Rasterises the scene: log-domain detector signal with a compressive response, heel effect, quantum noise, collimation and a lead marker.</summary>
    private static int[] Render(Scene scene, ViewTransform vt, Rng r, double mmPerUnit)
    {
        int w = vt.Width, h = vt.Height;

        // Attenuation is sampled on a grid of half the resolution and interpolated: four times cheaper, and the
        // slight blur stands in for the detector's modulation transfer function.
        const int Step = 2;
        int gw = (w + Step - 1) / Step, gh = (h + Step - 1) / Step;
        var soft = new float[gw * gh];
        var bone = new float[gw * gh];
        var metal = new float[gw * gh];
        foreach (var p in scene.Parts)
        {
            if (vt.PixelBounds(p.Hull(), 2 * Step) is not { } b)
            {
                continue;
            }

            for (var gy = b.Y0 / Step; gy <= Math.Min(gh - 1, b.Y1 / Step); gy++)
            {
                var row = gy * gw;
                for (var gx = b.X0 / Step; gx <= Math.Min(gw - 1, b.X1 / Step); gx++)
                {
                    var path = p.Path(vt.ToAnatomy((gx + 0.5) * Step, (gy + 0.5) * Step));
                    if (path <= 0)
                    {
                        continue;
                    }

                    switch (p.Layer)
                    {
                        case Layer.Soft:
                            soft[row + gx] = Math.Max(soft[row + gx], (float)path);
                            break;
                        case Layer.Bone:
                            bone[row + gx] += (float)path;
                            break;
                        default:
                            metal[row + gx] = 1;
                            break;
                    }
                }
            }
        }

        // Collimator blades: a slightly rotated rectangle; outside it the detector is unexposed.
        var collimated = r.Chance(0.7);
        var cx0 = r.Range(0.01, 0.07) * w;
        var cx1 = w - (r.Range(0.01, 0.07) * w);
        var cy0 = r.Range(0.01, 0.06) * h;
        var cy1 = h - (r.Range(0.01, 0.06) * h);
        var tilt = r.Range(-0.025, 0.025);
        var heel = r.Range(-0.06, 0.06);
        var air = r.Range(220, 420);
        var a0 = r.Range(17, 23);
        var softMu = r.Range(0.07, 0.09);
        var gain = r.Range(3300, 3600);

        var markerSize = Math.Max(8, (int)(Math.Max(w, h) * 0.006));
        var mx = (int)(r.Chance(0.5) ? cx0 + (w * 0.04) : cx1 - (w * 0.04) - (6 * markerSize));
        var my = (int)(cy0 + (h * 0.04));
        var letter = r.Chance(0.5) ? MarkerL : MarkerR;

        var values = new int[w * h];
        var cosT = Math.Cos(tilt);
        var sinT = Math.Sin(tilt);
        for (var y = 0; y < h; y++)
        {
            var fy = Math.Clamp(((y + 0.5) / Step) - 0.5, 0, gh - 1);
            var y0 = (int)fy;
            var y1 = Math.Min(y0 + 1, gh - 1);
            var wy = (float)(fy - y0);
            for (var x = 0; x < w; x++)
            {
                var i = (y * w) + x;
                double v;
                var rx = x - (w / 2.0);
                var ry = y - (h / 2.0);
                var ux = (w / 2.0) + (rx * cosT) - (ry * sinT);
                var uy = (h / 2.0) + (rx * sinT) + (ry * cosT);
                var inField = !collimated || (ux >= cx0 && ux <= cx1 && uy >= cy0 && uy <= cy1);
                var lx = (x - mx) / markerSize;
                var ly = (y - my) / markerSize;
                var onMarker = x >= mx && y >= my && lx < 5 && ly < 7 && letter[ly][lx] == '#';
                var fx = Math.Clamp(((x + 0.5) / Step) - 0.5, 0, gw - 1);
                var x0 = (int)fx;
                var x1 = Math.Min(x0 + 1, gw - 1);
                var wx = (float)(fx - x0);
                float Sample(float[] g) => ((1 - wy) * (((1 - wx) * g[(y0 * gw) + x0]) + (wx * g[(y0 * gw) + x1]))) + (wy * (((1 - wx) * g[(y1 * gw) + x0]) + (wx * g[(y1 * gw) + x1])));
                if (!inField)
                {
                    v = 3750 + (r.Gaussian() * 12);
                }
                else if (onMarker)
                {
                    v = 4060 + (r.Gaussian() * 10);
                }
                else
                {
                    var a = (Sample(soft) * mmPerUnit * softMu) + (Sample(bone) * mmPerUnit);
                    v = air + (gain * (1 - Math.Exp(-a / a0)));
                    v *= 1 + (heel * ((double)x / w - 0.5));
                    var m = Sample(metal);
                    v = (v * (1 - m)) + (4060 * m);
                    v += r.Gaussian() * (8 + (0.012 * v));
                }

                values[i] = Math.Clamp((int)Math.Round(v), 0, 4095);
            }
        }

        return values;
    }

    private static readonly string[] MarkerL = ["#....", "#....", "#....", "#....", "#....", "#....", "#####"];
    private static readonly string[] MarkerR = ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"];

    /// <summary>The 1st and 99th percentiles of exposed, non-saturated pixels (sampled): what a modality's auto-window would pick.</summary>
    private static (double Lo, double Hi) FieldRange(int[] values)
    {
        var sample = new List<int>(values.Length / 7 + 1);
        for (var i = 0; i < values.Length; i += 7)
        {
            if (values[i] < 3700)
            {
                sample.Add(values[i]);
            }
        }

        if (sample.Count < 10)
        {
            return (0, 4095);
        }

        sample.Sort();
        return (sample[(int)(sample.Count * 0.01)], sample[(int)(sample.Count * 0.99)]);
    }
}
