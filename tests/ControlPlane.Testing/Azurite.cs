using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ControlPlane.Testing;

/// <summary>
/// Real Azure Storage for tests. Uses <c>CONTROLPLANE_TEST_STORAGE</c> when set (scripts/test.sh starts one Azurite
/// for the whole run); otherwise starts its own in-memory Azurite on free ports, once per test process, installing
/// the pinned version with <c>npm ci</c> if needed, so a plain <c>dotnet test</c> works from a fresh clone or an IDE.
/// </summary>
public static class Azurite
{
    public const string ConnectionStringVariable = "CONTROLPLANE_TEST_STORAGE";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly Lazy<string> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object Installing = new();

    /// <summary>A connection string to a running Azurite.</summary>
    public static string ConnectionString => Instance.Value;

    /// <summary>A table prefix no other test uses, so tests never see each other's data.</summary>
    public static string NewTablePrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } given)
        {
            return given;
        }

        var azurite = StartProcess();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => azurite.Dispose();
        return azurite.ConnectionString;
    }

    /// <summary>
    /// An Azurite of the caller's own (in memory, free ports), for tests that freeze, refuse or kill storage: the
    /// shared one serves every other test running at the same time.
    /// </summary>
    public static AzuriteProcess StartProcess()
    {
        var root = RepositoryRoot();
        var azurite = Path.Combine(root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite) || !File.Exists(Path.Combine(root, "node_modules", ".bin", "maildev")))
        {
            lock (Installing)
            {
                if (!File.Exists(azurite))
                {
                    Run("npm", "ci --no-audit --no-fund", root);
                }
            }
        }

        var (blob, queue, table) = (LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free());
        var process = Process.Start(new ProcessStartInfo(azurite,
            $"--silent --inMemoryPersistence --skipApiVersionCheck --disableProductStyleUrl " +
            $"--blobHost 127.0.0.1 --blobPort {blob} --queueHost 127.0.0.1 --queuePort {queue} --tableHost 127.0.0.1 --tablePort {table}")
        {
            // Not redirected: an unread pipe fills up and stalls Azurite; with --silent it prints almost nothing.
            UseShellExecute = false,

            // Azurite writes an AzuriteConfig file into its working directory; keep it out of the repository.
            WorkingDirectory = Directory.CreateTempSubdirectory("controlplane-azurite-").FullName,
        }) ?? throw new InvalidOperationException("Could not start Azurite.");
        var started = new AzuriteProcess(process,
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;");
        try
        {
            WaitForPort(process, table);
            WaitForPort(process, queue);
            WaitForPort(process, blob);
            return started;
        }
        catch
        {
            started.Dispose();
            throw;
        }
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (ControlPlane.sln) above " + AppContext.BaseDirectory);
    }


    private static void WaitForPort(Process process, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode}; see its output above.");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException($"Azurite did not listen on port {port} within 60 s.");
    }

    private static void Run(string file, string arguments, string workingDirectory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = workingDirectory, UseShellExecute = false })
            ?? throw new InvalidOperationException($"Could not start {file}.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed with exit code {process.ExitCode}.");
        }
    }
}
