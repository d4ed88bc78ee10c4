using Azure;

namespace ControlPlane.Azure.Storage;

/// <summary>Outage means outage (issue 9, hole 10): only a storage failure may send fail-open budgets down their open path.</summary>
public sealed class StorageFailuresTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(408)]
    [InlineData(500)]
    [InlineData(503)]
    public void IsOutage_NoAnswerTimeoutOrServerError_IsAnOutage(int status) =>
        Assert.True(StorageFailures.IsOutage(new RequestFailedException(status, "storage")));

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(412)]
    public void IsOutage_StorageAnsweredWithAClientError_IsNotAnOutage(int status) =>
        Assert.False(StorageFailures.IsOutage(new RequestFailedException(status, "storage")));

    [Fact]
    public void IsOutage_ConnectionFailuresAndTimeouts_AreOutages()
    {
        Assert.True(StorageFailures.IsOutage(new HttpRequestException("refused")));
        Assert.True(StorageFailures.IsOutage(new TimeoutException()));
        Assert.True(StorageFailures.IsOutage(new AggregateException(new HttpRequestException("a"), new RequestFailedException(503, "b"))));
        Assert.False(StorageFailures.IsOutage(new AggregateException(new HttpRequestException("a"), new RequestFailedException(412, "b"))));
    }

    [Fact]
    public void IsOutage_RetriesThatFailedThenOneCutShortByACancellation_IsAnOutage()
    {
        // What the SDK throws when a caller's token fires during the retry after a refused connection (seen under load).
        Assert.True(StorageFailures.IsOutage(new AggregateException(new RequestFailedException(0, "refused"), new TaskCanceledException())));
        Assert.False(StorageFailures.IsOutage(new AggregateException(new TaskCanceledException())));
        Assert.False(StorageFailures.IsOutage(new AggregateException(new RequestFailedException(409, "conflict"), new TaskCanceledException())));
    }

    [Fact]
    public void IsOutage_EveryTryHitTheNetworkTimeout_IsAnOutage()
    {
        // What background work (no request deadline) gets from storage that accepts requests and never answers: each
        // try cancelled by the SDK's network timeout, then retried. A lone cancellation may be the caller's own.
        Assert.True(StorageFailures.IsOutage(new AggregateException(new TaskCanceledException("timeout"), new TaskCanceledException("timeout"))));
        Assert.False(StorageFailures.IsOutage(new AggregateException(new TaskCanceledException(), new RequestFailedException(412, "b"))));
    }

    [Fact]
    public void Describe_AnyOutage_IsOneLineNamingWhatFailed()
    {
        var retries = new AggregateException("Retry failed after 3 tries.", new TaskCanceledException("timeout"), new HttpRequestException("Connection refused (127.0.0.1:10002)"));
        var answered = new RequestFailedException(503, "Service request failed.\nStatus: 503 (Server Busy)\nHeaders: ...", "ServerBusy", null);

        Assert.Equal("2 tries failed, the last: Connection refused (127.0.0.1:10002)", StorageFailures.Describe(retries));
        Assert.Equal("storage answered 503 ServerBusy", StorageFailures.Describe(answered));
        Assert.Equal("Storage did not answer within the request's deadline (2 s).", StorageFailures.Describe(new StorageDeadlineExceededException(TimeSpan.FromSeconds(2))));
    }

    [Fact]
    public void IsOutage_RequestDeadlinePassed_IsAnOutage() =>
        Assert.True(StorageFailures.IsOutage(new StorageDeadlineExceededException(TimeSpan.FromSeconds(2))));
}
