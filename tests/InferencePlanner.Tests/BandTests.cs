using System.Text.Json;

namespace InferencePlanner.Tests;

public sealed class BandTests
{
    [Fact]
    public void Prefill_and_decode_band_ends_bracket_the_prediction()
    {
        var (exit, output, err) = Cli.Run("prefill", "--band", "--gpu", "H800", "--gpu", "B200", "--format", "json");
        Assert.True(exit == 0, err);
        var band = JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("key").GetString() == "prefill-band");
        foreach (var row in band.GetProperty("rows").EnumerateArray())
        {
            Assert.True(row.GetProperty("low").GetDouble() <= row.GetProperty("predicted").GetDouble());
            Assert.True(row.GetProperty("predicted").GetDouble() <= row.GetProperty("high").GetDouble());
        }

        (exit, output, err) = Cli.Run("decode", "--band", "--gpu", "H800", "--batch", "16,32", "--format", "json");
        Assert.True(exit == 0, err);
        foreach (var row in JsonDocument.Parse(output).RootElement.GetProperty("tables")[0].GetProperty("rows").EnumerateArray())
        {
            Assert.True(row.GetProperty("tokens/s per GPU, low").GetDouble() <= row.GetProperty("tokens/s per GPU").GetDouble());
            Assert.True(row.GetProperty("tokens/s per GPU").GetDouble() <= row.GetProperty("tokens/s per GPU, high").GetDouble());
        }
    }
}
