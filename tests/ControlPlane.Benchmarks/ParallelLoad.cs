using System.Diagnostics;
using HdrHistogram;

namespace ControlPlane.Benchmarks;

/// <summary>A closed loop the drivers share: <c>clients</c> at a time over a fixed list of work.</summary>
internal static class ParallelLoad
{
    /// <summary>
    /// Runs <paramref name="step"/> for each item, at most <paramref name="clients"/> at once, recording each step's
    /// latency in microseconds into <paramref name="latency"/>; returns how long the whole list took.
    /// </summary>
    public static async Task<TimeSpan> RunAsync<T>(IEnumerable<T> work, int clients, LongHistogram latency, Func<T, Task> step)
    {
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = clients }, async (item, _) =>
        {
            var started = Stopwatch.GetTimestamp();
            await step(item);
            lock (latency)
            {
                latency.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        });
        return stopwatch.Elapsed;
    }
}
