using System.Buffers.Binary;
using System.Text.Json;

namespace InferencePlanner.Tests;

/// <summary>The charts: each kind written as a valid PNG or SVG of the stated size, with its series present. The README's pictures are the ones these tests write.</summary>
public sealed class PlotTests
{
    // The repository's docs/images folder, where the README's pictures live.
    private static string ImagesDir
    {
        get
        {
            var images = Path.Combine(Files.RepositoryRoot, "docs", "images");
            Directory.CreateDirectory(images);
            return images;
        }
    }

    private static List<(string Name, int Points)> Series(string json) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("tables")[0].GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("series").GetString()!, (int)r.GetProperty("points").GetDouble()))];

    [Theory]
    [InlineData("frontier", 2)]
    [InlineData("breakdown", 5)]
    [InlineData("roofline", 5)]
    [InlineData("validation", 2)]
    public void Each_chart_is_a_png_of_the_stated_size_with_its_series(string kind, int minSeries)
    {
        var path = Path.Combine(ImagesDir, $"{kind}.png");
        var (exit, output, err) = Cli.Run("plot", kind, "--out", path, "--format", "json");
        Assert.True(exit == 0, err);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(800, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(500, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
        var series = Series(output);
        Assert.True(series.Count >= minSeries, $"{series.Count} series");
        Assert.All(series, s => Assert.True(s.Points > 0, s.Name));
    }

    [Fact]
    public void A_chart_can_be_an_svg_of_the_stated_size()
    {
        var path = Path.Combine(Path.GetTempPath(), $"frontier-{Guid.NewGuid():N}.svg");
        try
        {
            var (exit, output, err) = Cli.Run("plot", "frontier", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--framework", "vllm", "--out", path, "--width", "640", "--height", "400", "--format", "json");
            Assert.True(exit == 0, err);
            var svg = File.ReadAllText(path);
            Assert.Contains("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("width=\"640\"", svg, StringComparison.Ordinal);
            Assert.Contains("height=\"400\"", svg, StringComparison.Ordinal);
            Assert.Contains("tokens/s per user", svg, StringComparison.Ordinal);
            Assert.Contains(Series(output), s => s.Name.StartsWith("H100-SXM TP8", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("give a .png or .svg file", "plot", "roofline", "--out", "chart.jpg")]
    [InlineData("does not exist", "plot", "roofline", "--out", "/no/such/folder/chart.png")]
    [InlineData("--width must lie in [200, 10000]", "plot", "roofline", "--out", "chart.png", "--width", "5")]
    [InlineData("Argument 'pie' not recognized", "plot", "pie", "--out", "chart.png")]
    public void Bad_plot_input_is_refused_with_the_reason(string expected, params string[] args)
    {
        var (exit, _, err) = Cli.Run(args);
        Assert.Equal(2, exit);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }
}
