using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Testing;

/// <summary>
/// An HTTP proxy in front of Azurite's table endpoint that can hold back storage's answer to one chosen request after
/// storage has acted on it: the write landed, the client never heard and tries again — what a slow or partitioned
/// storage account does to a client with a network timeout. Everything else passes through unchanged (the shared-key
/// signature does not cover the host, so the client's requests are valid as they are).
/// </summary>
public sealed partial class LostAnswerProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _storage = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Uri _upstream;
    private readonly string _connectionString;
    private Func<HttpRequest, bool>? _hold;
    private TimeSpan _holdFor;
    private int _held;

    /// <param name="connectionString">An Azurite connection string with a <c>TableEndpoint</c>.</param>
    public LostAnswerProxy(string connectionString)
    {
        var endpoint = TableEndpoint().Match(connectionString);
        if (!endpoint.Success)
        {
            throw new ArgumentException("The connection string has no TableEndpoint=http://host:port/...", nameof(connectionString));
        }

        _upstream = new Uri(endpoint.Groups["authority"].Value);
        var port = LoopbackPort.Free();
        _connectionString = connectionString.Replace(endpoint.Groups["authority"].Value, $"http://127.0.0.1:{port}", StringComparison.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        _app.Run(ForwardAsync);
    }

    /// <summary>The same storage account, its tables reached through this proxy.</summary>
    public string ConnectionString => _connectionString;

    /// <summary>Answers storage held back so far.</summary>
    public int Held => Volatile.Read(ref _held);

    public Task StartAsync() => _app.StartAsync();

    /// <summary>The next request <paramref name="matches"/> reaches storage, and its answer is held for <paramref name="holdFor"/>.</summary>
    public void HoldNextAnswer(Func<HttpRequest, bool> matches, TimeSpan holdFor)
    {
        _holdFor = holdFor;
        Volatile.Write(ref _hold, matches);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _storage.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_upstream, request.Path + request.QueryString));
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var content = new ByteArrayContent(body.ToArray());
        foreach (var (name, values) in request.Headers)
        {
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase) && !forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        forward.Content = body.Length > 0 || request.ContentLength is not null ? content : null;

        // Not the caller's token: storage must act on the request even once the caller has given up on it.
        using var answer = await _storage.SendAsync(forward, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
        if (Volatile.Read(ref _hold) is { } hold && hold(request) && Interlocked.CompareExchange(ref _hold, null, hold) == hold)
        {
            Interlocked.Increment(ref _held);
            await Task.Delay(_holdFor, CancellationToken.None);
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            // The caller gave up waiting: its answer is lost, which is the point.
            return;
        }

        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    [GeneratedRegex("TableEndpoint=(?<authority>https?://[^/;]+)", RegexOptions.IgnoreCase)]
    private static partial Regex TableEndpoint();
}
