using System.Diagnostics.Metrics;
using ControlPlane.Azure.Usage;

namespace ControlPlane.Testing;

/// <summary>Counts the rows rollup queries read from one usage table, through the store's own meter (tests and the benchmark).</summary>
public sealed class RollupRowsRead : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _rows;

    public RollupRowsRead(string tableName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TableUsageStore.MeterName && instrument.Name == TableUsageStore.RollupRowsReadInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "table" && Equals(tag.Value, tableName))
                {
                    Interlocked.Add(ref _rows, value);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Rows read since the last call.</summary>
    public long Take() => Interlocked.Exchange(ref _rows, 0);

    public void Dispose() => _listener.Dispose();
}
