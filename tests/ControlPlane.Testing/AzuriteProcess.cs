using System.Diagnostics;

namespace ControlPlane.Testing;

/// <summary>
/// One Azurite process a test owns (<see cref="Azurite.StartProcess"/>): it can freeze it the way a network partition
/// looks to a client (<see cref="Freeze"/>, SIGSTOP: connections stay open, nothing answers), thaw it, or stop it.
/// </summary>
public sealed class AzuriteProcess : IDisposable
{
    private readonly Process _process;

    internal AzuriteProcess(Process process, string connectionString)
    {
        _process = process;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>Storage stops answering (SIGSTOP): requests are accepted by the kernel and then wait.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>Storage answers again (SIGCONT), working through what queued up meanwhile.</summary>
    public void Thaw() => Signal("CONT");

    public void Dispose()
    {
        try
        {
            Thaw();
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _process.Dispose();
    }

    private void Signal(string signal)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode}.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not run kill.");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}.");
        }
    }
}
