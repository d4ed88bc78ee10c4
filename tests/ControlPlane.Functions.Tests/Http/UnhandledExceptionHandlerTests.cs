using Azure;
using ControlPlane.Functions.Http;

namespace ControlPlane.HttpTests;

/// <summary>Outage means outage (issue 9, hole 10): only a storage failure may send fail-open budgets down their open path.</summary>
public sealed class UnhandledExceptionHandlerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(408)]
    [InlineData(500)]
    [InlineData(503)]
    public void IsStorageOutage_NoAnswerTimeoutOrServerError_IsAnOutage(int status) =>
        Assert.True(UnhandledExceptionHandler.IsStorageOutage(new RequestFailedException(status, "storage")));

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(412)]
    public void IsStorageOutage_StorageAnsweredWithAClientError_IsNotAnOutage(int status) =>
        Assert.False(UnhandledExceptionHandler.IsStorageOutage(new RequestFailedException(status, "storage")));

    [Fact]
    public void IsStorageOutage_ConnectionFailuresAndTimeouts_AreOutages()
    {
        Assert.True(UnhandledExceptionHandler.IsStorageOutage(new HttpRequestException("refused")));
        Assert.True(UnhandledExceptionHandler.IsStorageOutage(new TimeoutException()));
        Assert.True(UnhandledExceptionHandler.IsStorageOutage(new AggregateException(new HttpRequestException("a"), new RequestFailedException(503, "b"))));
        Assert.False(UnhandledExceptionHandler.IsStorageOutage(new AggregateException(new HttpRequestException("a"), new RequestFailedException(412, "b"))));
    }

    [Fact]
    public void IsStorageOutage_RetriesThatFailedThenOneCutShortByACancellation_IsAnOutage()
    {
        // What the SDK throws when a caller's token fires during the retry after a refused connection (seen under load).
        Assert.True(UnhandledExceptionHandler.IsStorageOutage(new AggregateException(new RequestFailedException(0, "refused"), new TaskCanceledException())));
        Assert.False(UnhandledExceptionHandler.IsStorageOutage(new AggregateException(new TaskCanceledException())));
        Assert.False(UnhandledExceptionHandler.IsStorageOutage(new AggregateException(new RequestFailedException(409, "conflict"), new TaskCanceledException())));
    }

    [Fact]
    public void IsStorageOutage_RequestDeadlinePassed_IsAnOutage() =>
        Assert.True(UnhandledExceptionHandler.IsStorageOutage(new ControlPlane.Azure.Storage.StorageDeadlineExceededException(TimeSpan.FromSeconds(2))));
}
