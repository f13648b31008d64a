using InferencePlanner.Kernels;
using InferencePlanner.Validation;

namespace InferencePlanner.Tests;

/// <summary>Editable data files: a broken one is an input error naming the file, not a crash.</summary>
public sealed class DataFileTests
{
    [Theory]
    [InlineData("{ nope")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gemmFp8": {}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gemmFp8": {"points": [{"m": 64, "n": 1, "k": 1}]}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "NoSuchGpu"}""")]
    public void A_broken_kernel_profile_is_an_input_error(string json)
    {
        var e = Assert.Throws<InputException>(() => KernelProfile.Parse(json, "my-kernels.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.StartsWith("my-kernels.json", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("""{"sources": {}, "rows": [{"id": "x"}]}""")]
    public void A_broken_measurements_file_is_an_input_error(string json)
    {
        var e = Assert.Throws<InputException>(() => Measurement.Parse(json, "my-measurements.json"));
        Assert.Contains("my-measurements.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hopper_profile_applies_to_hopper_gpus_only()
    {
        Assert.Equal("hopper", KernelCatalog.For(Hardware.GpuCatalog.Resolve("H200"))!.Name);
        Assert.Null(KernelCatalog.For(Hardware.GpuCatalog.Resolve("B200")));
        Assert.Null(KernelCatalog.For(Hardware.GpuCatalog.Resolve("MI355X")));
    }
}
