using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ControlPlane.Infra.Scripts;

/// <summary>
/// scripts/dev.sh, stopped as a user stops it (Ctrl+C) or as a service manager does (TERM), leaves nothing running:
/// not the app, not Azurite, not the Azure OpenAI fake, and no port taken for the next run.
/// </summary>
public sealed class DevScriptCleanupTests
{
    // Generous: the script builds the app and the fake (Release) before anything answers, on a 2-core machine.
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(8);

    // The script gives each of its three children 15 s to stop before it kills them; anything alive after that leaked.
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task DevScript_Signal_StopsEveryProcessItStartedAndFreesItsPorts(string signal)
    {
        var ports = new DevPorts(FreePort(), FreePort(), FreePort(), FreePort());
        var data = Directory.CreateTempSubdirectory("controlplane-dev-test-");
        var output = new StringBuilder();
        using var script = StartDevScript(ports, data.FullName, output);
        List<int> started = [];
        try
        {
            await WaitForHealthAsync(script, ports.App, output);
            started = Descendants(script.Id);
            Assert.True(
                started.Count >= 3,
                $"Expected Azurite, the fake and the app under the script; found {Describe(started)}.{Environment.NewLine}{output}");

            Signal(script.Id, signal);

            var stopped = await WaitUntilAsync(() => script.HasExited && started.All(pid => !IsAlive(pid)), s_stopTimeout);
            var leftovers = started.Where(IsAlive).ToList();
            Assert.True(
                stopped,
                $"{s_stopTimeout.TotalSeconds:0} s after SIG{signal}: script exited {script.HasExited}, still running: {Describe(leftovers)}."
                + $"{Environment.NewLine}{output}");
            Assert.All(ports.All, port => Assert.False(IsListening(port), $"Port {port} is still taken after SIG{signal}."));
        }
        finally
        {
            // A failing run must not leave its processes to the next test.
            foreach (var pid in started.Where(IsAlive))
            {
                Signal(pid, "KILL");
            }

            if (!script.HasExited)
            {
                script.Kill(entireProcessTree: true);
            }

            data.Delete(recursive: true);
        }
    }

    private static Process StartDevScript(DevPorts ports, string dataDirectory, StringBuilder output)
    {
        // env restores SIGINT, which a process started from a non-interactive shell may inherit as ignored (the
        // shell a user presses Ctrl+C in never passes it on ignored); it execs bash, so the pid is the script's.
        var startInfo = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = BicepCli.RepositoryRoot,
        };
        foreach (var argument in new[] { "--default-signal=INT", "bash", Path.Combine(BicepCli.RepositoryRoot, "scripts", "dev.sh") })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["PORT"] = ports.App.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["AZURITE_BLOB_PORT"] = ports.Blob.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["AZURITE_QUEUE_PORT"] = ports.Queue.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["AZURITE_TABLE_PORT"] = ports.Table.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["CONTROLPLANE_DEV_DATA"] = dataDirectory;
        // The script must start its own fake and key, whatever the machine running the tests has set.
        startInfo.Environment.Remove("ControlPlane__AzureOpenAI__Endpoint");
        startInfo.Environment.Remove("ControlPlane__AdminKey");

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => Append(output, line.Data);
        process.ErrorDataReceived += (_, line) => Append(output, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForHealthAsync(Process script, int port, StringBuilder output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < s_startTimeout)
        {
            if (script.HasExited)
            {
                Assert.Fail($"scripts/dev.sh exited ({script.ExitCode}) before serving /api/health:{Environment.NewLine}{output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/api/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but not answering yet.
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.Fail($"scripts/dev.sh did not serve /api/health within {s_startTimeout.TotalMinutes} minutes:{Environment.NewLine}{output}");
    }

    /// <summary>Every process below <paramref name="root"/>, from /proc: children, theirs, and so on.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadStat(pid) is { } stat)
            {
                parents[pid] = stat.ParentId;
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var (pid, _) in parents.Where(pair => pair.Value == parent))
            {
                found.Add(pid);
                frontier.Enqueue(pid);
            }
        }

        return found;
    }

    private static bool IsAlive(int pid) => ReadStat(pid) is { State: not 'Z' and not 'X' };

    /// <summary>State and parent from /proc/&lt;pid&gt;/stat; null once the process is gone.</summary>
    private static (char State, int ParentId)? ReadStat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (command) state ppid ...": the command may hold spaces and parentheses, so read after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    private static string Describe(IEnumerable<int> pids) =>
        string.Join(", ", pids.Select(pid =>
        {
            var commandLine = File.Exists($"/proc/{pid}/cmdline") ? File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim() : "?";
            return $"{pid} [{commandLine}]";
        })) is { Length: > 0 } text ? text : "none";

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        return true;
    }

    private static bool IsListening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private sealed record DevPorts(int App, int Blob, int Queue, int Table)
    {
        public IReadOnlyList<int> All => [App, Blob, Queue, Table];
    }
}
