using System.Globalization;
using ControlPlane.Functions.Telemetry.Otlp;
using Google.Protobuf;

namespace ControlPlane.Functions.Telemetry;

/// <summary>
/// An OTLP/HTTP answer, in the request's encoding: an <c>ExportTraceServiceResponse</c> on success (with
/// <c>partialSuccess</c> when spans were rejected), a <c>google.rpc.Status</c> on failure. A failure's message starts
/// with our stable code (<c>otlp_body_invalid: ...</c>), the one place an OTLP client shows it; the code is also in
/// the <see cref="CodeHeader"/> header.
/// </summary>
internal sealed class OtlpResult(int status, IMessage message, OtlpEncoding encoding, TimeSpan? retryAfter = null) : IResult
{
    /// <summary>The stable code of a failure, for clients and proxies that do not decode the body.</summary>
    public const string CodeHeader = "x-controlplane-error-code";

    public int Status => status;

    public IMessage Message => message;

    public static OtlpResult Success(ExportTraceServiceResponse response, OtlpEncoding encoding) => new(StatusCodes.Status200OK, response, encoding);

    public static OtlpResult Failure(OtlpFailure failure, OtlpEncoding encoding, TimeSpan? retryAfter = null) =>
        new(failure.Status, new RpcStatus { Code = GrpcCodeOf(failure.Status), Message = $"{failure.Code}: {failure.Message}" }, encoding, retryAfter)
        {
            Code = failure.Code,
        };

    private string? Code { get; init; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        if (Code is not null)
        {
            response.Headers[CodeHeader] = Code;
        }

        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (encoding == OtlpEncoding.Json)
        {
            response.ContentType = OtlpTraceBody.JsonMediaType;
            await response.WriteAsync(JsonFormatter.Default.Format(message), httpContext.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            response.ContentType = OtlpTraceBody.ProtobufMediaType;
            await response.Body.WriteAsync(message.ToByteArray(), httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The gRPC code beside the HTTP status; OTLP clients may log it and must not act on it.</summary>
    private static int GrpcCodeOf(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status400BadRequest or StatusCodes.Status415UnsupportedMediaType => 3, // INVALID_ARGUMENT
        StatusCodes.Status413PayloadTooLarge => 8, // RESOURCE_EXHAUSTED
        StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
        _ => 2, // UNKNOWN
    };
}
