using System.Diagnostics;

namespace ControlPlane.Infra.Agents;

/// <summary>
/// The GPU agent and the stand-in nvidia-smi its tests run pass Debian's shellcheck (scripts/test.sh installs it).
/// The agent runs on every GPU instance as it is in the repository; a lint finding is a bug waiting for a VM.
/// </summary>
public sealed class GpuAgentLintTests
{
    [Theory]
    [InlineData("agents/gpu/controlplane-gpu-agent")]
    [InlineData("tests/ControlPlane.Testing/Gpu/nvidia-smi")]
    public void Shellcheck_Script_ReportsNothing(string script)
    {
        var path = Path.Combine(BicepCli.RepositoryRoot, script);
        var start = new ProcessStartInfo("shellcheck", ["--shell=bash", "--severity=style", path])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            process = null;
        }

        Assert.True(process is not null, "shellcheck is not installed: scripts/test.sh installs it (apt-get install shellcheck).");
        using (process)
        {
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"shellcheck {script}:{Environment.NewLine}{output}");
        }
    }

    [Fact]
    public void Agent_IsExecutableAndStartsWithBash()
    {
        var path = Path.Combine(BicepCli.RepositoryRoot, "agents", "gpu", "controlplane-gpu-agent");

        Assert.StartsWith("#!/usr/bin/env bash\n", File.ReadAllText(path), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.True((File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0, "The agent must be executable (git update-index --chmod=+x).");
        }
    }
}
