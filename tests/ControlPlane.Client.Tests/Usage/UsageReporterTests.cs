using System.Collections.Concurrent;
using System.Net;
using ControlPlane.Client.Api;
using ControlPlane.Client.Usage;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Client.Usage;

/// <summary>Usage posting off the hot path: idempotent retries, whole flushes, bounded failure with a clear log.</summary>
public sealed class UsageReporterTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private ControlPlaneClientOptions Options(int maxAttempts = 4) => new()
    {
        ApiKey = ControlPlaneApp.AdminKey, RetryDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = maxAttempts, TimeProvider = _app.Clock,
    };

    private static UsageReport Report(string id, long inputTokens = 1200) => new()
    {
        Id = id, Team = "search", Feature = "answers", Model = "gpt-4o-mini", InputTokens = inputTokens, CachedInputTokens = 1000, OutputTokens = 300,
    };

    [Fact]
    public async Task RecordUsageAsync_FirstAnswerLost_RetriesTheSameIdAndIsChargedOnce()
    {
        var lose = new LoseFirstAnswer();
        var client = new ControlPlaneClient(_app.CreateDefaultClient(lose), Options());

        var answer = await client.RecordUsageAsync(Report("lost-1"));

        Assert.Equal(2, lose.Bodies.Count);
        Assert.Equal(lose.Bodies.First(), lose.Bodies.Last());
        Assert.Equal("duplicate", Assert.Single(answer.Events).Status);
        var costs = await client.GetCostsAsync();
        Assert.Equal(1, costs.Requests);
        Assert.Equal(0.000285m, costs.TotalCostUsd);
    }

    [Fact]
    public async Task DisposeAsync_SendsEverythingQueuedInBatches()
    {
        var client = new ControlPlaneClient(_app.CreateClient(), Options());
        var reporter = new UsageReporter(client);

        for (var i = 0; i < 250; i++)
        {
            reporter.Enqueue(Report($"q-{i}"));
        }

        await reporter.DisposeAsync();

        var costs = await client.GetCostsAsync();
        Assert.Equal(250, costs.Requests);
        Assert.Equal(250 * 0.000285m, costs.TotalCostUsd);
        Assert.Equal(0, reporter.Failed);
    }

    [Fact]
    public async Task Enqueue_OneEventTheServerRefuses_RecordsTheOthersAndLogsTheRefusedOne()
    {
        var logger = new ListLogger();
        var client = new ControlPlaneClient(_app.CreateClient(), Options());
        await using (var reporter = new UsageReporter(client, logger))
        {
            reporter.Enqueue(Report("good-1"));
            reporter.Enqueue(Report("bad-1", inputTokens: -5));
            reporter.Enqueue(Report("good-2"));
            await reporter.FlushAsync();
            Assert.Equal(1, reporter.Failed);
        }

        Assert.Equal(2, (await client.GetCostsAsync()).Requests);
        var error = Assert.Single(logger.Errors);
        Assert.Contains("bad-1", error, StringComparison.Ordinal);
        Assert.Contains("usage_tokens_negative", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_ControlPlaneUnavailable_GivesUpAfterTheBoundedAttemptsAndLogsTheIds()
    {
        var down = new AlwaysUnavailable();
        var logger = new ListLogger();
        var client = new ControlPlaneClient(new HttpClient(down) { BaseAddress = new Uri("http://controlplane.invalid/") }, Options(maxAttempts: 3));
        await using var reporter = new UsageReporter(client, logger);

        reporter.Enqueue(Report("down-1"));
        await reporter.FlushAsync();

        Assert.Equal(3, down.Attempts);
        Assert.Equal(1, reporter.Failed);
        Assert.Contains("down-1", Assert.Single(logger.Errors), StringComparison.Ordinal);
    }

    /// <summary>Lets the first usage post reach the server, then loses its answer (a 503 instead).</summary>
    private sealed class LoseFirstAnswer : DelegatingHandler
    {
        public ConcurrentQueue<string> Bodies { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
            {
                Bodies.Enqueue(await request.Content.ReadAsStringAsync(cancellationToken));
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath == "/api/usage" && Bodies.Count == 1)
            {
                response.Dispose();
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            return response;
        }
    }

    private sealed class AlwaysUnavailable : HttpMessageHandler
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        }
    }

    private sealed class ListLogger : ILogger<UsageReporter>
    {
        public ConcurrentQueue<string> Errors { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                Errors.Enqueue(formatter(state, exception));
            }
        }
    }
}
