namespace InferencePlanner.Plots;

/// <summary>One series of a chart: its legend text and how many points or bars it holds.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Points">Points or bars drawn.</param>
public readonly record struct Series(string Name, int Points);

/// <summary>A chart ready to save, with the series it draws (for tests and for the command's summary).</summary>
public sealed class Chart
{
    internal Chart(ScottPlot.Plot plot, string title, IReadOnlyList<Series> series)
    {
        Plot = plot;
        Title = title;
        Series = series;
    }

    internal ScottPlot.Plot Plot { get; }

    /// <summary>The title drawn above the chart.</summary>
    public string Title { get; }

    /// <summary>The series drawn.</summary>
    public IReadOnlyList<Series> Series { get; }

    /// <summary>Saves the chart as PNG or SVG, chosen by the path's extension.</summary>
    public void Save(string path, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (width < 200 || width > 10_000 || height < 150 || height > 10_000)
        {
            throw new InputException($"a chart's size must lie in [200, 10000] x [150, 10000] pixels, got {width} x {height}");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new InputException($"{path}: the folder {directory} does not exist");
        }

        try
        {
            switch (extension)
            {
                case ".png":
                    Plot.SavePng(path, width, height);
                    break;
                case ".svg":
                    Plot.SaveSvg(path, width, height);
                    break;
                default:
                    throw new InputException($"{path}: give a .png or .svg file to write");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot write the file ({e.Message.Split('\n')[0]})", e);
        }
    }
}
