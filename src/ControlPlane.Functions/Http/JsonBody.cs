using System.Text.Json;
using ControlPlane.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Http;

/// <summary>
/// Reads a JSON body with our own bounds and error codes instead of the framework's silent 400: the body size is
/// capped while reading (not only by Content-Length), malformed JSON and wrong types name the offending path,
/// unknown and duplicate properties are rejected so a typo never silently prices as zero.
/// </summary>
public static class JsonBody
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,

        // The web defaults accept "12" for a number; a token count sent as a string is a client bug worth naming.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        MaxDepth = 16,

        // Enum fields take exactly one documented name: no numbers, no "a,b" combinations.
        Converters = { new StrictEnumConverter() },
    };

    /// <summary>The parsed body, or the problem to answer with.</summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (!IsJson(request.ContentType))
        {
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType,
                "Send the body as application/json.", $"Content-Type was '{request.ContentType ?? "(none)"}'."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        try
        {
            await using var limited = new LengthLimitedStream(request.Body, maxBytes);
            var value = await JsonSerializer.DeserializeAsync<T>(limited, Options, cancellationToken).ConfigureAwait(false);
            return value is null
                ? (null, Problems.Of(StatusCodes.Status400BadRequest, Problems.BodyMissing, "The request body is empty or null."))
                : (value, null);
        }
        catch (LengthLimitedStream.LimitExceededException)
        {
            return (null, TooLarge(maxBytes));
        }
        catch (JsonException ex)
        {
            var empty = ex.LineNumber == 0 && ex.BytePositionInLine == 0 && ex.Path is null or "$";
            return empty && request.ContentLength is null or 0
                ? (null, Problems.Of(StatusCodes.Status400BadRequest, Problems.BodyMissing, "The request body is empty."))
                : (null, Problems.Of(StatusCodes.Status400BadRequest, Problems.JsonInvalid, "The body is not valid JSON for this endpoint.",
                    $"At {ex.Path ?? "$"} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}): {FirstSentence(ex.Message)}"));
        }
    }

    /// <summary>Reads the body and validates it: the valid value, or the problem (unreadable JSON or every validation error).</summary>
    public static async Task<(TValue? Value, ProblemHttpResult? Problem)> ReadValidAsync<TBody, TValue>(
        HttpRequest request, int maxBytes, Func<TBody, ValidationResult<TValue>> validate, CancellationToken cancellationToken)
        where TBody : class
    {
        var (body, problem) = await ReadAsync<TBody>(request, maxBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return (default, problem);
        }

        var validated = validate(body!);
        return validated.IsValid ? (validated.Value, null) : (default, Problems.Validation(validated.Errors));
    }

    /// <summary>413 <c>request_body_too_large</c>, naming the limit.</summary>
    public static ProblemHttpResult TooLarge(int maxBytes) =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge, "The request body is too large.",
            $"The limit is {maxBytes:N0} bytes.");

    private static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}

/// <summary>Fails the read as soon as more than the allowed bytes arrive, whatever Content-Length claimed.</summary>
internal sealed class LengthLimitedStream(Stream inner, long limit) : Stream
{
    private long _read;

    public sealed class LimitExceededException() : IOException("The request body exceeds its limit.");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read)
    {
        _read += read;
        return _read > limit ? throw new LimitExceededException() : read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
