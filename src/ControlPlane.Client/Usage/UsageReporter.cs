using System.Net;
using System.Threading.Channels;
using ControlPlane.Client.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Client.Usage;

/// <summary>
/// Sends usage off the app's hot path: <see cref="Enqueue"/> returns at once; one background loop posts what is
/// queued in batches of up to <see cref="ControlPlaneClientOptions.UsageBatchSize"/>, with the client's bounded retry.
/// What still fails is logged as an error naming the event ids (never thrown at the app). A batch the server refuses
/// (4xx) is re-sent one event at a time so one bad event cannot lose the others. <see cref="DisposeAsync"/> sends
/// everything queued before returning.
/// </summary>
public sealed partial class UsageReporter : IAsyncDisposable
{
    private readonly ControlPlaneClient _client;
    private readonly ILogger _logger;
    private readonly Channel<UsageReport> _queue;
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private int _pending;
    private TaskCompletionSource _drained = NewDrained(completed: true);
    private int _failed;

    public UsageReporter(ControlPlaneClient client, ILogger<UsageReporter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<UsageReport>(new BoundedChannelOptions(client.Options.UsageQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    public ControlPlaneClient Client => _client;

    /// <summary>Events that could not be recorded (after retries) since start: each was logged as an error.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Queues one call's usage; never blocks. A full queue drops the event with an error log.</summary>
    public void Enqueue(UsageReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            if (_pending++ == 0)
            {
                _drained = NewDrained(completed: false);
            }
        }

        if (!_queue.Writer.TryWrite(report))
        {
            LogQueueFull(_logger, report.Id, _client.Options.UsageQueueCapacity);
            Interlocked.Increment(ref _failed);
            Done(1);
        }
    }

    /// <summary>Completes when everything queued so far was sent (or given up on and logged).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _drained.Task.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<UsageReport>(_client.Options.UsageBatchSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _client.Options.UsageBatchSize && _queue.Reader.TryRead(out var report))
            {
                batch.Add(report);
            }

            await SendAsync(batch).ConfigureAwait(false);
            Done(batch.Count);
            batch.Clear();
        }
    }

    private async Task SendAsync(List<UsageReport> batch)
    {
        try
        {
            await _client.RecordUsageAsync(batch).ConfigureAwait(false);
        }
        catch (ControlPlaneApiException e) when (!e.IsTransient && e.Status != HttpStatusCode.Unauthorized && batch.Count > 1)
        {
            // The server takes a batch whole or not at all: find the event it refuses instead of losing all.
            foreach (var report in batch)
            {
                await SendAsync([report]).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException or TaskCanceledException)
        {
            Interlocked.Add(ref _failed, batch.Count);
            LogNotRecorded(_logger, e, batch.Count, string.Join(", ", batch.Select(r => r.Id)), e.Message);
        }
    }

    /// <summary>
    /// Releases the reservation of a call that failed. A failed release is logged, not thrown: the app's own error is
    /// the one to surface, and the hold returns by itself when it expires.
    /// </summary>
    internal async Task ReleaseAsync(string reservationId)
    {
        try
        {
            await _client.ReleaseReservationAsync(reservationId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException or TaskCanceledException)
        {
            LogReleaseFailed(_logger, e, reservationId, e.Message);
        }
    }

    private void Done(int count)
    {
        lock (_gate)
        {
            _pending -= count;
            if (_pending == 0)
            {
                _drained.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource NewDrained(bool completed)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            source.SetResult();
        }

        return source;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "ControlPlane usage not recorded for {Count} call(s) ({EventIds}) after retries: {Reason}. Re-post them with the same ids to record them once.")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, int count, string eventIds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ControlPlane reservation {ReservationId} of a failed call was not released ({Reason}); it returns when it expires.")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string reservationId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "ControlPlane usage queue is full ({Capacity} events waiting); usage of call {EventId} was dropped.")]
    private static partial void LogQueueFull(ILogger logger, string eventId, int capacity);
}
