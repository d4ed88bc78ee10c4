using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ControlPlane.Testing;

/// <summary>
/// A real SMTP server for tests: MailDev (pinned in package.json), on free ports, with its REST API to read what
/// arrived. <see cref="StopAsync"/> and <see cref="StartAsync"/> take it down and bring it back on the same SMTP port,
/// the way a relay outage looks to a client. Its inbox is in memory, so a restart empties it.
/// </summary>
public sealed class MailDev : IAsyncDisposable
{
    private readonly HttpClient _http = new();
    private Process? _process;

    public MailDev()
    {
        SmtpPort = LoopbackPort.Free();
        WebPort = LoopbackPort.Free();
        _http.BaseAddress = new Uri($"http://127.0.0.1:{WebPort}");
    }

    public int SmtpPort { get; }
    public int WebPort { get; }

    public async Task StartAsync()
    {
        var root = Azurite.RepositoryRoot();
        var maildev = Path.Combine(root, "node_modules", ".bin", "maildev");
        if (!File.Exists(maildev))
        {
            using var install = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = root, UseShellExecute = false })!;
            await install.WaitForExitAsync();
        }

        _process = Process.Start(new ProcessStartInfo(maildev,
            $"--silent --ip 127.0.0.1 --smtp {SmtpPort} --web {WebPort} --web-ip 127.0.0.1")
        {
            UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("controlplane-maildev-").FullName,
        }) ?? throw new InvalidOperationException("Could not start MailDev.");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"MailDev exited with code {_process.ExitCode}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, SmtpPort);
                (await _http.GetAsync("/api/healthz")).EnsureSuccessStatusCode();
                return;
            }
            catch (Exception ex) when (ex is SocketException or HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("MailDev did not start within 60 s.");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process = null;
    }

    /// <summary>Every message received, as MailDev's API describes it (subject, to, headers, attachments, ...).</summary>
    public async Task<IReadOnlyList<JsonElement>> MessagesAsync() =>
        [.. (await _http.GetFromJsonAsync<JsonElement>("/api/email")).EnumerateArray()];

    /// <summary>A message's HTML body.</summary>
    public Task<string> HtmlAsync(string id) => _http.GetStringAsync($"/api/email/{id}/html");

    /// <summary>A message as it arrived (RFC 5322 source).</summary>
    public Task<string> SourceAsync(string id) => _http.GetStringAsync($"/api/email/{id}/source");

    /// <summary>One attachment's bytes, by the <c>generatedFileName</c> MailDev lists it under.</summary>
    public Task<byte[]> AttachmentAsync(string id, string fileName) => _http.GetByteArrayAsync($"/api/email/{id}/attachment/{Uri.EscapeDataString(fileName)}");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
    }

}
