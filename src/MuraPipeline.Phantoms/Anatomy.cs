namespace MuraPipeline.Phantoms;

/// <summary>
/// Schematic but plausible anatomy for the seven MURA study types. The same random draws build every view of a
/// study; <c>squeeze</c> narrows side-by-side bones so lateral and oblique views overlap them as real ones do.
/// </summary>
public static class Anatomy
{
    public static Scene Build(string part, Rng r, double squeeze) => part switch
    {
        "HUMERUS" => Humerus(r, squeeze),
        "FOREARM" => Forearm(r, squeeze),
        "ELBOW" => Elbow(r, squeeze),
        "WRIST" => Wrist(r, squeeze),
        "HAND" => Hand(r, squeeze),
        "FINGER" => Finger(r, squeeze),
        "SHOULDER" => Shoulder(r, squeeze),
        _ => throw new ArgumentException($"unknown body part {part}", nameof(part)),
    };

    private static Vec V(double x, double y) => new(x, y);

    private static Scene Humerus(Rng r, double sq)
    {
        var k = r.Range(0.85, 1.15);
        var s = new Scene { Aspect = r.Range(0.6, 0.75) };
        s.Soft(V(0, -0.55), V(0, 0.6), 0.14 * k);
        s.SoftEllipse(V(-0.05, -0.42), 0.22, 0.12);
        s.Round(V(-0.16, -0.4), 0.06 * k, 0.12 * k, 0.3, inner: 0.2, muCortex: 0.45, muMarrow: 0.3, depth: 0.02);
        s.Long(V(0, -0.31), V(r.Range(-0.01, 0.01), 0.33), 0.033 * k, 0.029 * k, 0.12, 0.9);
        s.Round(V(0.012, -0.37), 0.072 * k, 0.066 * k, 0, 0.85);
        s.Round(V(0.06 * k, -0.34), 0.03 * k, 0.028 * k, 0, 0.8);
        s.Round(V(0, 0.37), (0.076 * k * (1 - (0.4 * (1 - sq)))) + 0.005, 0.036 * k, 0, 0.8);
        s.Long(V(-0.028 * sq, 0.44), V(-0.033 * sq, 0.65), 0.021 * k, 0.019 * k);
        s.Long(V(0.03 * sq, 0.43), V(0.036 * sq, 0.65), 0.019 * k, 0.017 * k);
        return s;
    }

    private static Scene Forearm(Rng r, double sq)
    {
        var k = r.Range(0.85, 1.15);
        var bow = r.Range(-0.01, 0.01);
        var s = new Scene { Aspect = r.Range(0.62, 0.78) };
        s.Soft(V(0, -0.55), V(0, 0.55), 0.11 * k);
        s.Long(V(-0.045 * sq, -0.37), V((-0.055 + bow) * sq, 0.37), 0.019 * k, 0.027 * k, 0.08, 0.92);
        s.Round(V(-0.05 * sq, 0.41), 0.046 * k, 0.025 * k, 0, 0.8);
        s.Round(V(-0.045 * sq, -0.405), 0.026 * k, 0.017 * k, 0, 0.8);
        s.Long(V(0.042 * sq, -0.39), V(0.036 * sq, 0.38), 0.021 * k, 0.015 * k, 0.08, 0.92);
        s.Round(V(0.045 * sq, -0.44), 0.03 * k, 0.04 * k, 0, 0.8);
        s.Round(V(0.037 * sq, 0.405), 0.022 * k, 0.018 * k, 0, 0.8);
        for (var i = 0; i < 3; i++)
        {
            s.Round(V((-0.06 + (0.045 * i)) * sq, 0.475 + r.Range(-0.005, 0.005)), 0.022 * k, 0.02 * k, r.Range(-0.3, 0.3), 0.8);
        }

        return s;
    }

    private static Scene Elbow(Rng r, double sq)
    {
        var k = r.Range(0.85, 1.15);
        var flex = r.Range(-0.15, 0.15) * (1 - sq);
        var s = new Scene { Aspect = r.Range(0.72, 0.85) };
        s.Soft(V(0, -0.6), V(0, -0.02), 0.15 * k);
        s.Soft(V(0, -0.02), V(0.3 * flex, 0.6), 0.13 * k);
        s.Long(V(0, -0.55), V(0, -0.09), 0.042 * k, 0.05 * k, 0.15, 0.85);
        s.Round(V(0, -0.045), (0.06 + (0.037 * sq)) * k, 0.047 * k, 0, 0.8);
        var fore = V(flex, 1).Unit;
        var ulnaTop = V(0.035 * sq, 0.02 - (0.06 * (1 - sq)));
        s.Long(ulnaTop, ulnaTop + (fore * 0.53) + V(0.01 * sq, 0), 0.026 * k, 0.018 * k, 0.15, 0.9);
        s.Round(ulnaTop + V(0.005, -0.03), 0.034 * k, 0.045 * k, 0, 0.8);
        var radTop = V(-0.04 * sq, 0.075);
        s.Long(radTop, radTop + (fore * 0.48) - V(0.012 * sq, 0), 0.021 * k, 0.023 * k, 0.15, 0.9);
        s.Round(radTop + V(0, -0.02), 0.03 * k, 0.02 * k, 0, 0.75);
        return s;
    }

    private static Scene Wrist(Rng r, double sq)
    {
        var k = r.Range(0.85, 1.15);
        var dev = r.Range(-0.12, 0.12);
        var s = new Scene { Aspect = r.Range(0.7, 0.82) };
        s.Soft(V(0, 0.62), V(0, -0.1), 0.2 * k * (0.6 + (0.4 * sq)));
        s.SoftEllipse(V(0, -0.35), 0.2 * k * (0.5 + (0.5 * sq)), 0.3);
        s.Long(V(-0.06 * sq, 0.6), V(-0.05 * sq, 0.13), 0.038 * k, 0.045 * k, 0.15, 0.8);
        s.Round(V(-0.045 * sq, 0.095), (0.04 + (0.036 * sq)) * k, 0.033 * k, 0, 0.8);
        s.Long(V(0.08 * sq, 0.6), V(0.066 * sq, 0.15), 0.027 * k, 0.024 * k, 0.15, 0.8);
        s.Round(V(0.066 * sq, 0.115), 0.031 * k, 0.025 * k, 0, 0.8);
        double[] px = [-0.09, -0.03, 0.03, 0.085];
        double[] dx = [-0.1, -0.04, 0.02, 0.075];
        for (var i = 0; i < 4; i++)
        {
            s.Round(V(px[i] * k * sq, 0.005 + r.Range(-0.008, 0.008)), 0.034 * k, 0.03 * k, r.Range(-0.4, 0.4), 0.8);
            s.Round(V(dx[i] * k * sq, -0.085 + r.Range(-0.008, 0.008)), 0.029 * k, 0.034 * k, r.Range(-0.4, 0.4), 0.8);
        }

        for (var i = 0; i < 5; i++)
        {
            var baseX = (-0.12 + (0.055 * i)) * k * sq;
            var angle = (dev + ((i - 2) * 0.07 * sq)) + (Math.PI / 2);
            var dir = Vec.FromAngle(angle) * -1;
            var start = V(baseX, -0.15);
            s.Long(start, start + (dir * 0.42), 0.021 * k, 0.016 * k, 0.15, 0.8);
        }

        return s;
    }

    private static Scene Hand(Rng r, double sq)
    {
        var k = r.Range(0.88, 1.1);
        var spread = r.Range(0.7, 1.3) * sq;
        var s = new Scene { Aspect = r.Range(0.72, 0.84) };
        s.SoftEllipse(V(0, 0.26), 0.17 * k * (0.55 + (0.45 * sq)), 0.2 * k);
        s.Soft(V(0, 0.4), V(0, 0.62), 0.12 * k * (0.6 + (0.4 * sq)));
        s.Long(V(-0.05 * sq, 0.64), V(-0.05 * sq, 0.47), 0.038 * k, 0.045 * k);
        s.Long(V(0.07 * sq, 0.64), V(0.06 * sq, 0.48), 0.026 * k, 0.024 * k);
        for (var i = 0; i < 8; i++)
        {
            s.Round(V((-0.075 + (0.05 * (i % 4))) * k * sq, 0.35 + (0.065 * (i / 4)) + r.Range(-0.006, 0.006)), 0.024 * k, 0.022 * k, r.Range(-0.5, 0.5), 0.8);
        }

        double[] lengths = [0.2, 0.21, 0.2, 0.18];
        double[] fingerScale = [0.95, 1.05, 1.0, 0.85];
        for (var i = 0; i < 4; i++)
        {
            var angle = (-Math.PI / 2) + (((i - 1.5) * 0.1 * spread) + r.Range(-0.03, 0.03));
            var dir = Vec.FromAngle(angle);
            var p = V((-0.06 + (0.04 * i)) * k * sq, 0.29);
            var fs = fingerScale[i] * k;
            var mcEnd = p + (dir * lengths[i] * k);
            s.Soft(p, mcEnd + (dir * 0.26 * fs), 0.027 * fs);
            s.Long(p, mcEnd, 0.017 * fs, 0.015 * fs, 0.2, 0.85);
            s.Round(mcEnd, 0.018 * fs, 0.016 * fs, angle, 0.8);
            var flex = r.Range(-0.08, 0.08);
            var q = mcEnd + (dir * 0.025 * fs);
            double[] seg = [0.12, 0.075, 0.05];
            double[] rad = [0.015, 0.013, 0.011];
            for (var j = 0; j < 3; j++)
            {
                var d = dir.Rotate(flex * (j + 1));
                var end = q + (d * seg[j] * fs);
                s.Long(q, end, rad[j] * fs, rad[j] * fs * 0.8, j == 0 ? 0.15 : -1, 0.85);
                q = end + (d * 0.013 * fs);
            }
        }

        var tdir = Vec.FromAngle((-Math.PI / 2) - (0.75 * (0.5 + (0.5 * sq))));
        var t0 = V(-0.1 * k * sq, 0.33);
        s.Soft(t0, t0 + (tdir * 0.36 * k), 0.03 * k);
        var t1 = t0 + (tdir * 0.14 * k);
        s.Long(t0, t1, 0.019 * k, 0.017 * k, 0.2, 0.85);
        var t2 = t1 + (tdir * 0.1 * k);
        s.Long(t1 + (tdir * 0.014), t2, 0.017 * k, 0.014 * k);
        s.Long(t2 + (tdir * 0.014), t2 + (tdir * 0.075 * k), 0.014 * k, 0.011 * k);
        return s;
    }

    private static Scene Finger(Rng r, double sq)
    {
        var k = r.Range(0.85, 1.15);
        var s = new Scene { Aspect = r.Range(0.55, 0.7) };
        var dir = Vec.FromAngle((-Math.PI / 2) + r.Range(-0.1, 0.1));
        var flex = r.Range(-0.12, 0.12) * (0.4 + (0.6 * (1 - sq)));
        var p = V(0, 0.64);
        s.Soft(p, p + (dir * 1.15), 0.085 * k);
        if (r.Chance(0.6))
        {
            var nx = r.Chance(0.5) ? 0.27 : -0.27;
            s.Soft(V(nx, 0.64), V(nx * 1.2, -0.2), 0.075 * k);
            s.Long(V(nx, 0.62), V(nx * 1.15, 0.05), 0.04 * k, 0.035 * k);
        }

        var mc = p + (dir * 0.27);
        s.Long(p, mc, 0.05 * k, 0.046 * k, 0.15, 0.85);
        s.Round(mc, 0.056 * k, 0.043 * k, Math.Atan2(dir.Y, dir.X) + (Math.PI / 2), 0.85);
        var q = mc + (dir * 0.06);
        double[] seg = [0.29, 0.19, 0.13];
        double[] rad = [0.045, 0.038, 0.031];
        for (var j = 0; j < 3; j++)
        {
            var d = dir.Rotate(flex * (j + 1));
            var end = q + (d * seg[j]);
            s.Long(q, end, rad[j] * k, rad[j] * k * 0.8, j < 2 ? 0.12 : -1, 0.88);
            s.Round(q + (d * 0.01), rad[j] * k * 1.25, rad[j] * k * 0.55, Math.Atan2(d.Y, d.X) + (Math.PI / 2), 0.85);
            q = end + (d * 0.035);
        }

        return s;
    }

    private static Scene Shoulder(Rng r, double sq)
    {
        var k = r.Range(0.9, 1.1);
        var s = new Scene { Aspect = r.Range(1.15, 1.3) };
        s.SoftEllipse(V(0, 0.12), 0.62, 0.5);
        for (var i = 0; i < 4; i++)
        {
            var y = -0.12 + (0.14 * i);
            s.Parts.Add(new LongBone(V(-0.55, y), V(-0.1, y + 0.16), 0.012, 0.012, 0.5, 0.55, 0.25));
        }

        s.Round(V(-0.22, 0.13), 0.15 * k, 0.22 * k, 0.2, inner: 0.2, muCortex: 0.5, muMarrow: 0.3, depth: 0.02);
        s.Round(V(-0.065 * k, 0.04), 0.035 * k * (0.6 + (0.4 * sq)), 0.1 * k, 0.05, 0.6);
        s.Long(V(-0.46, -0.26), V(0.02, -0.2 + r.Range(-0.02, 0.02)), 0.028 * k, 0.025 * k, 0.1, 0.9);
        s.Round(V(0.03, -0.16), 0.1 * k, 0.028 * k, 0.1, 0.7);
        s.Round(V(-0.03, -0.1), 0.05 * k, 0.02 * k, 0.6, 0.7);
        var abduct = r.Range(-0.15, 0.2);
        var head = V(0.075 * k, 0.0);
        s.Round(head, 0.11 * k, 0.11 * k, 0, 0.85);
        s.Round(head + V(0.095 * k, -0.02), 0.04 * k, 0.035 * k, 0, 0.8);
        var axis = V(0.1 + abduct, 1).Unit;
        s.Long(head + (axis * 0.06), head + (axis * 0.66), 0.056 * k, 0.05 * k, 0.08, 0.5);
        return s;
    }
}
