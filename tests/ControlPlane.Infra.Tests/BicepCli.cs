using System.Diagnostics;
using System.Reflection;

namespace ControlPlane.Infra;

/// <summary>
/// Runs the Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 NuGet package (the public
/// module registry and the bicep installer are unreachable in our build environment).
/// </summary>
internal static class BicepCli
{
    private static readonly Lazy<string> s_executable = new(LocateExecutable);

    /// <summary>Repository root, where azure.yaml and infra/ live.</summary>
    public static string RepositoryRoot { get; } = LocateRepositoryRoot();

    public static string InfraDirectory => Path.Combine(RepositoryRoot, "infra");

    /// <summary>Every .bicep file under infra/, relative to infra/ with forward slashes.</summary>
    public static IEnumerable<string> BicepFiles() =>
        Directory.EnumerateFiles(InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(InfraDirectory, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    public static BicepResult Run(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(s_executable.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = InfraDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {s_executable.Value}.");
        // Read both streams concurrently: a full stderr pipe would otherwise deadlock stdout.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish in 2 minutes.");
        }

        return new BicepResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string LocateExecutable()
    {
        var path = Metadata("BicepPath");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"bicep not found at {path}. Restore tests/ControlPlane.Infra.Tests (Azure.Bicep.CommandLine.linux-x64).", path);
        }

        // NuGet extraction does not always preserve the executable bit.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode execute = UnixFileMode.UserExecute;
            if ((mode & execute) == 0)
            {
                File.SetUnixFileMode(path, mode | execute);
            }
        }

        return path;
    }

    private static string LocateRepositoryRoot()
    {
        var root = Metadata("RepositoryRoot");
        if (!File.Exists(Path.Combine(root, "infra", "main.bicep")))
        {
            throw new DirectoryNotFoundException($"infra/main.bicep not found under {root}.");
        }

        return root;
    }

    private static string Metadata(string key) =>
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"AssemblyMetadata '{key}' is missing from the test assembly.");
}

internal sealed record BicepResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Diagnostics bicep printed (errors, warnings, linter findings), one per line.</summary>
    public IReadOnlyList<string> Diagnostics =>
        StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
