using System.Text;
using System.Text.Json;

namespace ControlPlane.Client.OpenAI;

/// <summary>
/// Passes a Chat Completions SSE stream through untouched while reading its <c>data:</c> lines for the chunk that
/// carries <c>usage</c> (the last one, with <c>include_usage</c>). When the stream ends, or is disposed early, it
/// hands over what it found, once: the usage, or null when none came.
/// </summary>
internal sealed class UsageTapStream(Stream inner, Action<JsonElement?> completed) : Stream
{
    private readonly MemoryStream _line = new();
    private JsonElement? _usage;
    private int _completed;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Observe(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Observe(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Complete();
            inner.Dispose();
            _line.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Observe(ReadOnlySpan<byte> read)
    {
        if (read.IsEmpty)
        {
            Complete();
            return 0;
        }

        foreach (var b in read)
        {
            if (b == (byte)'\n')
            {
                ReadLine();
                _line.SetLength(0);
            }
            else
            {
                _line.WriteByte(b);
            }
        }

        return read.Length;
    }

    private void ReadLine()
    {
        var line = Encoding.UTF8.GetString(_line.GetBuffer(), 0, (int)_line.Length).TrimEnd('\r');
        if (!line.StartsWith("data:", StringComparison.Ordinal) || !line.Contains("\"usage\"", StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(line[5..].Trim());
            if (doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = usage.Clone();
            }
        }
        catch (JsonException)
        {
            // Not a JSON chunk: the SDK reading the same bytes decides what that means for the app; it carries no
            // usage for us, and if no chunk does, the call's hold is released when the stream ends.
            return;
        }
    }

    private void Complete()
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            completed(_usage);
        }
    }
}
