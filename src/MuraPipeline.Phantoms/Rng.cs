namespace MuraPipeline.Phantoms;

/// <summary>xoshiro256** seeded by SplitMix64: the same seed gives the same sequence on every platform and .NET version.</summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>A generator for a sub-stream (a study, a view) that does not depend on how much the parent has drawn.</summary>
    public static Rng For(ulong seed, params ulong[] path)
    {
        var s = seed;
        foreach (var p in path)
        {
            s ^= p + 0x9E3779B97F4A7C15UL + (s << 6) + (s >> 2);
            _ = SplitMix(ref s);
        }

        return new Rng(s);
    }

    public ulong NextULong()
    {
        var result = RotL(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double Next() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public double Range(double lo, double hi) => lo + ((hi - lo) * Next());

    public int Int(int loInclusive, int hiExclusive) => loInclusive + (int)(Next() * (hiExclusive - loInclusive));

    public bool Chance(double p) => Next() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count)];

    /// <summary>Approximately standard normal (Irwin–Hall of four uniforms): cheap enough for per-pixel noise.</summary>
    public double Gaussian() => (Next() + Next() + Next() + Next() - 2.0) * 1.7320508075688772;

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
