using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;
using ControlPlane.Testing.Gpu;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Capacity;

/// <summary>
/// The GPU agent (agents/gpu/controlplane-gpu-agent) end to end: the real script, run with <c>--once</c>, reads a
/// stand-in nvidia-smi replaying the H200 recording, takes its key from a stand-in IMDS and Key Vault, reads queue
/// depth from a Prometheus page, and posts to ControlPlane listening on a real port.
/// </summary>
public sealed class GpuAgentTests : IAsyncLifetime
{
    private const string Pool = "infer";
    private const double Interval = 0.01;
    private static readonly NvidiaSmiFixture Fixture = NvidiaSmiFixture.H200();
    private readonly string _work = Directory.CreateTempSubdirectory("gpu-agent-").FullName;
    private FakeManagedIdentityServer _identity = null!;
    private ControlPlaneApp _app = null!;
    private HttpClient _admin = null!;
    private string _url = null!;
    private string _ingestKey = null!;

    public async Task InitializeAsync()
    {
        _identity = new FakeManagedIdentityServer();
        await _identity.StartAsync();
        // The agent stamps samples with the machine's clock, so the app's clock starts at the real time.
        _app = new ControlPlaneApp { Clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow()) };
        var port = LoopbackPort.Free();
        _app.UseKestrel(port);
        _app.StartServer();
        _url = $"http://127.0.0.1:{port}";
        _admin = _app.Client();
        (await _admin.PutAsJsonAsync($"/api/gpu/pools/{Pool}", new
        {
            scaleSetId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/infer",
            minCapacity = 1, maxCapacity = 4, team = "search",
        })).EnsureSuccessStatusCode();
        _ingestKey = await _app.IssueKeyAsync("ingest", "search");

        Directory.CreateDirectory(Path.Combine(_work, "bin"));
        File.CreateSymbolicLink(Path.Combine(_work, "bin", "nvidia-smi"), Path.Combine(Azurite.RepositoryRoot(), "tests", "ControlPlane.Testing", "Gpu", "nvidia-smi"));
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        await _identity.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Once_DutyCyclePhase_PostsTheWindowMeanWithQueueDepthAndTheKeyFromKeyVault()
    {
        _identity.Secrets["gpu-agent-infer"] = _ingestKey;
        _identity.Metrics = """
            # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
            # TYPE vllm:num_requests_waiting gauge
            vllm:num_requests_waiting{engine="0",model_name="llama-3.1-8b"} 3.0
            vllm:num_requests_waiting{engine="1",model_name="llama 3.1 8b (fp8)"} 4.0 1795896761768
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{engine="0",model_name="llama-3.1-8b"} 12.0
            vllm:num_requests_waiting_by_reason{reason="capacity"} 99.0
            """;
        var phase = Fixture.Phase("duty-30pct");
        var (first, readings) = Fixture.During(phase);

        var run = await RunAgentAsync(first, readings.Count, new()
        {
            ["CONTROLPLANE_KEY_VAULT_URL"] = _identity.BaseAddress,
            ["CONTROLPLANE_KEY_SECRET_NAME"] = "gpu-agent-infer",
            ["CONTROLPLANE_IMDS_URL"] = _identity.BaseAddress.TrimEnd('/'),
            ["QUEUE_METRICS_URL"] = _identity.BaseAddress + "metrics",
            ["QUEUE_METRIC"] = "vllm:num_requests_waiting",
        });

        Assert.True(run.ExitCode == 0, run.Output);
        var sample = Assert.Single(await SamplesAsync());
        var mean = readings.Average(r => r.UtilizationPercent) / 100;
        // Single readings of this phase are 0% and 100%; the sample is their mean.
        Assert.Contains(readings, r => r.UtilizationPercent is 0);
        Assert.Contains(readings, r => r.UtilizationPercent is 100);
        Assert.Equal(mean, sample.GetProperty("utilization").GetDouble(), 6);
        Assert.InRange(sample.GetProperty("utilization").GetDouble(), 0.05, 0.95);
        Assert.Equal(readings.Count, sample.GetProperty("readings").GetInt32());
        Assert.Equal(7, sample.GetProperty("queueDepth").GetInt32());
        var gpu = Assert.Single(sample.GetProperty("gpus").EnumerateArray().ToList());
        Assert.Equal(0, gpu.GetProperty("index").GetInt32());
        Assert.Equal(readings[0].Uuid, gpu.GetProperty("uuid").GetString());
        Assert.Equal(mean, gpu.GetProperty("utilization").GetDouble(), 6);
        Assert.Equal(readings.Average(r => r.MemoryUsedMiB), sample.GetProperty("memoryUsedMiB").GetDouble(), 1);
        Assert.Equal(143_771, sample.GetProperty("memoryTotalMiB").GetDouble());
        Assert.True(sample.GetProperty("windowSeconds").GetDouble() > 0);
        Assert.Equal(
            sample.GetProperty("timestamp").GetDateTimeOffset() - TimeSpan.FromSeconds(sample.GetProperty("windowSeconds").GetDouble()),
            sample.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Contains(_identity.Requests, r => r.StartsWith("token ?api-version=2018-02-01&resource=https://vault.azure.net", StringComparison.Ordinal));
        Assert.Contains(_identity.Requests, r => r == "secret gpu-agent-infer?api-version=7.4");
        Assert.DoesNotContain(_ingestKey, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Once_ControlPlaneDown_BuffersTheSampleAndDeliversItOnceWhenBack()
    {
        var (tinyFirst, tiny) = Fixture.During(Fixture.Phase("tiny-kernels"));
        var (idleFirst, idle) = Fixture.During(Fixture.Phase("idle-after"));
        var keyed = new Dictionary<string, string> { ["CONTROLPLANE_API_KEY"] = _ingestKey };

        var down = await RunAgentAsync(tinyFirst, tiny.Count, new(keyed) { ["CONTROLPLANE_URL"] = $"http://127.0.0.1:{LoopbackPort.Free()}" });
        var buffered = await File.ReadAllLinesAsync(Path.Combine(_work, "buffer", "pending.jsonl"));
        var back = await RunAgentAsync(idleFirst, idle.Count, keyed);

        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Contains("stay buffered", down.Output, StringComparison.Ordinal);
        Assert.Single(buffered);
        Assert.True(back.ExitCode == 0, back.Output);
        Assert.Equal(string.Empty, await File.ReadAllTextAsync(Path.Combine(_work, "buffer", "pending.jsonl")));

        // Sent again, as after an answer lost on the way back: still stored once.
        using var ingest = _app.Client(_ingestKey);
        var again = await ingest.PostAsync($"/api/gpu/pools/{Pool}/samples", new StringContent($"{{\"samples\":[{buffered[0]}]}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);

        var samples = await SamplesAsync();
        Assert.Equal(2, samples.Count);
        Assert.Equal(idle.Average(r => r.UtilizationPercent) / 100, samples[0].GetProperty("utilization").GetDouble(), 6);
        Assert.Equal(tiny.Average(r => r.UtilizationPercent) / 100, samples[1].GetProperty("utilization").GetDouble(), 6);
        Assert.True(samples[0].GetProperty("timestamp").GetDateTimeOffset() > samples[1].GetProperty("timestamp").GetDateTimeOffset());
    }

    [Fact]
    public async Task Once_PlaceholderSecret_KeepsTheSampleAndSaysTheKeyIsMissing()
    {
        _identity.Secrets["gpu-agent-infer"] = "unset";
        var (first, readings) = Fixture.During(Fixture.Phase("matmul-full"));

        var run = await RunAgentAsync(first, 3, new()
        {
            ["CONTROLPLANE_KEY_VAULT_URL"] = _identity.BaseAddress,
            ["CONTROLPLANE_KEY_SECRET_NAME"] = "gpu-agent-infer",
            ["CONTROLPLANE_IMDS_URL"] = _identity.BaseAddress.TrimEnd('/'),
        });

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("holds no ingest key yet", run.Output, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(Path.Combine(_work, "buffer", "pending.jsonl")));
        Assert.Empty(await SamplesAsync());
        Assert.NotEmpty(readings);
    }

    [Fact]
    public async Task Once_TwoGpus_ReportsEachGpuAndTheirMeanAndSpread()
    {
        // The recording as a two-GPU VM: GPU 1 runs the recording's loads shifted by the tiny-kernel phase's length.
        var lines = await File.ReadAllLinesAsync(Fixture.SamplesCsv);
        var twoGpus = Path.Combine(_work, "two-gpus.csv");
        var shifted = lines.Skip(1).Skip(20).Concat(lines.Skip(1).Take(20)).ToList();
        await File.WriteAllLinesAsync(twoGpus, lines.Take(1).Concat(lines.Skip(1).SelectMany((line, i) =>
        {
            var other = shifted[i].Split(", ");
            var gpu1 = line.Split(", ");
            gpu1[1] = "1";
            gpu1[2] = "GPU-second";
            gpu1[6] = other[6];
            gpu1[8] = other[8];
            return new[] { line, string.Join(", ", gpu1) };
        })));
        var (first, readings) = Fixture.During(Fixture.Phase("duty-30pct"));
        var gpu0 = readings.Average(r => r.UtilizationPercent) / 100;
        var gpu1 = Fixture.Readings.Skip(20).Concat(Fixture.Readings.Take(20)).Skip(first).Take(readings.Count).Average(r => r.UtilizationPercent) / 100;

        var run = await RunAgentAsync(first, readings.Count, new() { ["CONTROLPLANE_API_KEY"] = _ingestKey, ["FAKE_NVIDIA_SMI_CSV"] = twoGpus });

        Assert.True(run.ExitCode == 0, run.Output);
        var sample = Assert.Single(await SamplesAsync());
        var gpus = sample.GetProperty("gpus").EnumerateArray().ToList();
        Assert.Equal([0, 1], gpus.Select(g => g.GetProperty("index").GetInt32()));
        Assert.Equal(gpu0, gpus[0].GetProperty("utilization").GetDouble(), 6);
        Assert.Equal(gpu1, gpus[1].GetProperty("utilization").GetDouble(), 6);
        Assert.Equal((gpu0 + gpu1) / 2, sample.GetProperty("utilization").GetDouble(), 6);
        // From the rounded per-GPU means the agent sends (6 decimals).
        Assert.Equal(Math.Abs(gpu0 - gpu1), sample.GetProperty("utilizationSpread").GetDouble(), 1e-5);
        Assert.Equal(2 * 143_771, sample.GetProperty("memoryTotalMiB").GetDouble());
        Assert.NotEqual(gpu0, gpu1, 2);
    }

    private async Task<List<JsonElement>> SamplesAsync()
    {
        var response = await _admin.GetAsync($"/api/gpu/pools/{Pool}/samples");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("samples").EnumerateArray().ToList();
    }

    /// <summary>Runs <c>controlplane-gpu-agent --once</c> over <paramref name="count"/> recorded moments from <paramref name="first"/>.</summary>
    private async Task<(int ExitCode, string Output)> RunAgentAsync(int first, int count, Dictionary<string, string> settings)
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "cursor"), first.ToString(CultureInfo.InvariantCulture));
        var start = new ProcessStartInfo("bash", [Path.Combine(Azurite.RepositoryRoot(), "agents", "gpu", "controlplane-gpu-agent"), "--once"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["PATH"] = Path.Combine(_work, "bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment.Remove("JOURNAL_STREAM");
        start.Environment["FAKE_NVIDIA_SMI_CSV"] = Fixture.SamplesCsv;
        start.Environment["FAKE_NVIDIA_SMI_CURSOR"] = Path.Combine(_work, "cursor");
        start.Environment["CONTROLPLANE_URL"] = _url;
        start.Environment["CONTROLPLANE_POOL"] = Pool;
        start.Environment["CONTROLPLANE_INSTANCE"] = "vmss-infer_0";
        start.Environment["CONTROLPLANE_BUFFER_DIR"] = Path.Combine(_work, "buffer");
        start.Environment["SAMPLE_INTERVAL_SECONDS"] = Interval.ToString(CultureInfo.InvariantCulture);
        start.Environment["SAMPLE_WINDOW_SECONDS"] = (count * Interval).ToString("0.00", CultureInfo.InvariantCulture);
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("The agent did not finish: " + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
