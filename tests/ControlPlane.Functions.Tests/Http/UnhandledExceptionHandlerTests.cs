using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Http;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ControlPlane.HttpTests;

/// <summary>What a request that failed leaves in the log: a known condition in one line, a defect with its stack trace.</summary>
public sealed class UnhandledExceptionHandlerTests
{
    [Fact]
    public void LogFailure_StorageOutageOrContention_IsOneWarningLineWithoutAStack_ButAnUnexpectedErrorKeepsIt()
    {
        var logs = new RecordedLogs();
        var logger = logs.CreateLogger(nameof(UnhandledExceptionHandlerTests));
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/api/usage";
        http.Request.QueryString = new QueryString("?user=someone");
        Exception[] failures =
        [
            new StorageDeadlineExceededException(TimeSpan.FromSeconds(10)),
            new ControlPlane.Budgets.BudgetContentionException("search-monthly"),
            new InvalidOperationException("a defect"),
        ];

        foreach (var failure in failures)
        {
            UnhandledExceptionHandler.LogFailure(logger, http, failure, UnhandledExceptionHandler.ProblemFor(failure));
        }

        Assert.Collection(logs.Entries,
            deadline =>
            {
                Assert.Equal((LogLevel.Warning, null), (deadline.Level, deadline.Exception));
                Assert.Equal("Request POST /api/usage answered 503 storage_unavailable: Storage did not answer within the request's deadline (10 s).", deadline.Message);
            },
            contention =>
            {
                Assert.Equal((LogLevel.Warning, null), (contention.Level, contention.Exception));
                Assert.StartsWith("Request POST /api/usage answered 503 budget_contention: ", contention.Message, StringComparison.Ordinal);
            },
            defect =>
            {
                Assert.Equal(LogLevel.Error, defect.Level);
                Assert.Same(failures[2], defect.Exception);
                Assert.Equal("Request POST /api/usage failed", defect.Message);
            });
    }
}
