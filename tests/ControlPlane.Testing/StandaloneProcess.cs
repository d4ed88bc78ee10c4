using System.Diagnostics;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Testing;

/// <summary>
/// The standalone host as its own process (<c>dotnet ControlPlane.Standalone.dll --urls …</c>, as scripts/dev.sh starts
/// it) on the test run's Azurite, so a test can kill it with SIGKILL: no shutdown, no lease release, nothing flushed.
/// In-process hosts can only be disposed, which runs every graceful path a real crash skips.
/// </summary>
public sealed class StandaloneProcess : IDisposable
{
    public const string AdminKey = "process-test-admin-key-0123456789";

    private readonly Process _process;

    private StandaloneProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>
    /// Deadlines for tests that are not about deadlines: a CI machine loaded with three hosts must not fail closed or
    /// answer 503 where the test expects a decision.
    /// </summary>
    public static IReadOnlyDictionary<string, string> PatientDeadlines { get; } = new Dictionary<string, string>
    {
        ["ControlPlane:Deadlines:Authorize"] = "00:00:30",
        ["ControlPlane:Deadlines:Ingest"] = "00:01:00",
    };

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts a host on a free port and waits until it answers its health check. <paramref name="settings"/> are
    /// configuration keys as in appsettings (<c>ControlPlane:Budgets:ReservationTtl</c>), passed as environment variables;
    /// later dictionaries win.
    /// Timer triggers are off unless a setting turns them on: tests fire them through <c>POST /admin/functions/{name}</c>.
    /// </summary>
    public static async Task<StandaloneProcess> StartAsync(string tablePrefix, params IReadOnlyDictionary<string, string>[] settings)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(Azurite.RepositoryRoot(), "src", "ControlPlane.Standalone", "bin", configuration, "net10.0", "ControlPlane.Standalone.dll");
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" --urls http://127.0.0.1:{port}")
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        var environment = new Dictionary<string, string>
        {
            ["ControlPlane:Storage:ConnectionString"] = Azurite.ConnectionString,
            ["ControlPlane:Storage:TablePrefix"] = tablePrefix,
            ["ControlPlane:AdminKey"] = AdminKey,
            ["ControlPlane:Triggers:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings.SelectMany(s => s))
        {
            environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the standalone host.");
        var host = new StandaloneProcess(process, port);
        using var client = host.Client(null);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/api/health")).IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet: the host is still starting.
            }

            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(90))
            {
                host.Kill();
                throw new InvalidOperationException($"The standalone host did not come up on port {port} (exited: {process.HasExited}).");
            }

            await Task.Delay(200);
        }
    }

    public HttpClient Client(string? apiKey = AdminKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        return client;
    }

    /// <summary>SIGKILL: no shutdown, no lease release, nothing flushed.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
