using MuraPipeline.Imaging;

namespace MuraPipeline.DicomResults;

/// <summary>
/// Burns a caption into an image: a black strip under it with white 5×7 capitals, digits and a little punctuation,
/// scaled to the image's width. Characters outside the font are drawn as blanks.
/// </summary>
public static class Caption
{
    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['A'] = [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
        ['B'] = ["#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "],
        ['C'] = [" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "],
        ['D'] = ["#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "],
        ['E'] = ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
        ['F'] = ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "],
        ['G'] = [" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"],
        ['H'] = ["#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
        ['I'] = [" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
        ['J'] = ["  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "],
        ['K'] = ["#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"],
        ['L'] = ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
        ['M'] = ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
        ['N'] = ["#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #"],
        ['O'] = [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
        ['P'] = ["#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "],
        ['Q'] = [" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"],
        ['R'] = ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
        ['S'] = [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
        ['T'] = ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "],
        ['U'] = ["#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
        ['V'] = ["#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "],
        ['W'] = ["#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "],
        ['X'] = ["#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"],
        ['Y'] = ["#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "],
        ['Z'] = ["#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"],
        ['0'] = [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
        ['1'] = ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
        ['2'] = [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
        ['3'] = ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
        ['4'] = ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
        ['5'] = ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
        ['6'] = ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
        ['7'] = ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
        ['8'] = [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
        ['9'] = [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
        ['.'] = ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
        [','] = ["     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "],
        ['-'] = ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
        [':'] = ["     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "],
        ['='] = ["     ", "     ", "#####", "     ", "#####", "     ", "     "],
        ['/'] = ["     ", "    #", "   # ", "  #  ", " #   ", "#    ", "     "],
        ['('] = ["   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "],
        [')'] = [" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "],
        ['%'] = ["##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"],
    };

    /// <summary><paramref name="image"/> with <paramref name="lines"/> written in a strip below it.</summary>
    public static RgbImage Below(RgbImage image, IReadOnlyList<string> text)
    {
        var lines = Wrap(text, Math.Max(1, (image.Width - 4) / 6));
        var longest = Math.Max(1, lines.Max(l => l.Length));
        var scale = Math.Clamp((image.Width - 8) / (longest * 6), 1, 4);
        var lineHeight = 9 * scale;
        var strip = (lines.Count * lineHeight) + (4 * scale);
        var width = image.Width;
        var height = image.Height + strip;
        var o = new byte[width * height * 3];
        image.Pixels.CopyTo(o, 0);
        for (var i = 0; i < lines.Count; i++)
        {
            var y0 = image.Height + (2 * scale) + (i * lineHeight);
            var x0 = 2 * scale;
            foreach (var ch in lines[i].ToUpperInvariant())
            {
                if (Glyphs.TryGetValue(ch, out var glyph))
                {
                    for (var gy = 0; gy < 7; gy++)
                    {
                        for (var gx = 0; gx < 5; gx++)
                        {
                            if (glyph[gy][gx] == '#')
                            {
                                Fill(o, width, height, x0 + (gx * scale), y0 + (gy * scale), scale);
                            }
                        }
                    }
                }

                x0 += 6 * scale;
            }
        }

        return new RgbImage(width, height, o);
    }

    /// <summary>Lines broken at spaces so that none is longer than <paramref name="width"/> characters (a word longer than that is cut).</summary>
    private static List<string> Wrap(IReadOnlyList<string> text, int width)
    {
        var lines = new List<string>();
        foreach (var line in text)
        {
            var current = string.Empty;
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var w = word.Length > width ? word[..width] : word;
                if (current.Length > 0 && current.Length + 1 + w.Length > width)
                {
                    lines.Add(current);
                    current = string.Empty;
                }

                current = current.Length == 0 ? w : $"{current} {w}";
            }

            lines.Add(current);
        }

        return lines;
    }

    private static void Fill(byte[] o, int width, int height, int x, int y, int size)
    {
        for (var yy = y; yy < Math.Min(height, y + size); yy++)
        {
            for (var xx = x; xx < Math.Min(width, x + size); xx++)
            {
                var p = ((yy * width) + xx) * 3;
                o[p] = o[p + 1] = o[p + 2] = 255;
            }
        }
    }
}
