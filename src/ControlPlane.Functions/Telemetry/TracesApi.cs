using ControlPlane.Azure.Storage;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Functions.Telemetry.Otlp;
using ControlPlane.Pricing;
using ControlPlane.Telemetry;
using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Telemetry;

/// <summary>
/// The OTLP/HTTP traces receiver: apps already instrumented with OpenTelemetry's GenAI conventions point their OTLP
/// exporter here instead of posting <c>POST /api/usage</c>, and each GenAI span is recorded through the very same
/// ingest (validation, pricing, budget charging, idempotency by id, team limits of ingest keys).
/// </summary>
[Tags("Telemetry")]
public sealed class TracesApi(GenAiSpanReader reader, UsageIngestService ingest, PriceCatalog prices, TimeProvider time, IOptions<UsageOptions> options)
{
    /// <summary>How long an exporter is asked to wait before retrying an export storage could not take.</summary>
    internal static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <remarks>
    /// <c>/v1/traces</c>, not under <c>api/</c>: it is the path OTLP/HTTP exporters append to their endpoint by
    /// default, so an app needs only the base address. Answers follow OTLP/HTTP: 200 with
    /// <c>partialSuccess.rejectedSpans</c> and an <c>errorMessage</c> naming the codes and attributes at fault when
    /// some GenAI spans are invalid (the others are recorded), 4xx and 503 with a <c>google.rpc.Status</c> whose
    /// message starts with the stable code, in the request's encoding.
    /// </remarks>
    [Function(nameof(ExportTraces))]
    [Deadline(RequestDeadline.Ingest)]
    [ProblemResponse(StatusCodes.Status400BadRequest, TelemetryErrors.BodyInvalid, UsageErrors.BatchTooLarge)]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge)]
    [ProblemResponse(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, TelemetryErrors.EncodingUnsupported)]
    [ProblemResponse(StatusCodes.Status503ServiceUnavailable, Problems.StorageUnavailable, Problems.BudgetContention)]
    [ProtocolBodies(
        "An OTLP ExportTraceServiceRequest: binary protobuf or OTLP/JSON (hex trace and span ids), optionally Content-Encoding: gzip.",
        "An OTLP ExportTraceServiceResponse in the request's encoding; partialSuccess.rejectedSpans counts the GenAI spans not recorded and errorMessage names their codes and attributes.",
        "The body is an OTLP google.rpc.Status in the request's encoding; its message starts with the stable code, which the x-controlplane-error-code header repeats.",
        OtlpTraceBody.ProtobufMediaType, OtlpTraceBody.JsonMediaType)]
    [Authorize(Policies.Ingest)]
    [EndpointSummary("OTLP/HTTP traces receiver (application/x-protobuf or application/json, gzip accepted): every span following the "
        + "OpenTelemetry GenAI conventions is recorded as a usage event, attributed by controlplane.* span or resource attributes; "
        + "other spans are ignored. Invalid GenAI spans are counted in partialSuccess.rejectedSpans; failures are OTLP Status bodies.")]
    public async Task<IResult> ExportTraces(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/traces")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (OtlpTraceBody.EncodingOf(request.ContentType) is not { } encoding)
        {
            return OtlpResult.Failure(new(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType,
                $"Content-Type was '{request.ContentType ?? "(none)"}'; send {OtlpTraceBody.ProtobufMediaType} or {OtlpTraceBody.JsonMediaType}."), OtlpEncoding.Protobuf);
        }

        var (export, failure) = await OtlpTraceBody.ReadAsync(request, encoding, options.Value.MaxRequestBytes, cancellationToken);
        if (failure is not null)
        {
            return OtlpResult.Failure(failure, encoding);
        }

        var caller = request.HttpContext.User.GetCaller();
        try
        {
            var sheet = await prices.GetSheetAsync(cancellationToken);
            var spans = reader.Read(OtlpTraceBody.Spans(export!), sheet, time.GetUtcNow(), caller.MayActForTeam);
            if (spans.Events.Count > options.Value.MaxEventsPerRequest)
            {
                return OtlpResult.Failure(new(StatusCodes.Status400BadRequest, UsageErrors.BatchTooLarge,
                    $"At most {options.Value.MaxEventsPerRequest} GenAI spans per export; got {spans.Events.Count}. Lower the exporter's maximum export batch size."), encoding);
            }

            if (spans.Events.Count > 0)
            {
                await ingest.RecordAsync([.. spans.Events.Select(e => e.Event)], cancellationToken);
            }

            var response = new ExportTraceServiceResponse();
            if (spans.Rejected.Count > 0)
            {
                response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = spans.Rejected.Count, ErrorMessage = RejectedSpan.Describe(spans.Rejected) };
            }

            return OtlpResult.Success(response, encoding);
        }
        catch (BudgetContentionException)
        {
            return OtlpResult.Failure(new(StatusCodes.Status503ServiceUnavailable, Problems.BudgetContention,
                "A budget is too contended to update right now; nothing new was acknowledged. Retrying the export records each span once."), encoding, RetryAfter);
        }
        catch (Exception ex) when (StorageFailures.IsOutage(ex))
        {
            // OTLP exporters retry a 503 (honouring Retry-After); span ids make the retry record each call once.
            return OtlpResult.Failure(new(StatusCodes.Status503ServiceUnavailable, Problems.StorageUnavailable,
                "Storage is unavailable; nothing new was acknowledged. Retrying the export records each span once."), encoding, RetryAfter);
        }
    }
}
