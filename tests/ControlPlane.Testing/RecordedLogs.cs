using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Testing;

/// <summary>One log entry as the app wrote it: where from, how severe, the formatted message, and the exception if one was passed.</summary>
public sealed record RecordedLog(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>
/// A logger provider that keeps what the app logs, for tests that assert what an operator would read: a failure
/// logged as a failure, or a known condition logged as one line without a stack trace. Register it as an
/// <see cref="ILoggerProvider"/>; the app's log-level filters still apply.
/// </summary>
public sealed class RecordedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<RecordedLog> _entries = new();

    public IReadOnlyList<RecordedLog> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<RecordedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new RecordedLog(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
