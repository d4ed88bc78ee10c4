using System.Globalization;
using ControlPlane.Access;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.Telemetry;

/// <summary>
/// Turns the spans of an OTLP export into usage events: each span that is a GenAI call (OpenTelemetry GenAI semantic
/// conventions) becomes the event an app would have posted to <c>POST /api/usage</c>, validated by the same
/// <see cref="UsageEventValidator"/> rules; other spans are ignored. Unlike <c>POST /api/usage</c>, one bad span does
/// not reject its request: OTLP reports it as rejected (partial success) and the good spans are recorded.
/// <para>
/// <b>Model.</b> <c>gen_ai.response.model</c> wins when the price sheet knows it: it is the model that served (and was
/// billed for) the call, while the request model may be an Azure OpenAI deployment name. A response model the sheet
/// does not know (a dated snapshot such as <c>gpt-4o-2024-11-20</c>) gives way to a request model it does know;
/// when it knows neither, the response model is recorded, unpriced, like any unknown model.
/// </para>
/// <para>
/// <b>Which spans are calls.</b> A span with any <c>gen_ai.usage.*</c> attribute or a <c>gen_ai.operation.name</c>,
/// except the agent and tool operations (<c>invoke_agent</c>, <c>create_agent</c>, <c>execute_tool</c>): the usage an
/// agent span may carry sums the model calls beneath it, which are spans of their own, and would charge them twice.
/// </para>
/// </summary>
public sealed class GenAiSpanReader(UsageEventValidator validator)
{
    /// <summary>Every event id the receiver derives starts with this.</summary>
    public const string EventIdPrefix = "otlp:";

    private static readonly HashSet<string> NotCalls = new(StringComparer.Ordinal) { "invoke_agent", "create_agent", "execute_tool" };

    /// <summary>
    /// Provider names of the GenAI conventions (<c>gen_ai.provider.name</c>, and the older <c>gen_ai.system</c>) that
    /// the price sheet spells otherwise. Others (<c>openai</c>, <c>anthropic</c>) are the sheet's names already; a
    /// provider the sheet does not know is refused as <c>POST /api/usage</c> refuses it.
    /// </summary>
    private static readonly Dictionary<string, string> ConventionProviders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["azure.ai.openai"] = ProviderNames.AzureOpenAI,
        ["az.ai.openai"] = ProviderNames.AzureOpenAI,
        ["azure.ai.inference"] = ProviderNames.AzureAI,
        ["az.ai.inference"] = ProviderNames.AzureAI,
        ["gcp.gemini"] = "google",
        ["gcp.vertex_ai"] = "google",
        ["gcp.gen_ai"] = "google",
        ["gemini"] = "google",
        ["vertex_ai"] = "google",
    };

    /// <summary>
    /// The usage event id of a span: <c>otlp:{traceId}:{spanId}</c> in lower-case hex, the same whichever encoding
    /// carried the span, so a re-sent export is recorded once. It lies outside the namespace of ids the server writes
    /// (<see cref="UsageEventIds.ServerPrefix"/>): the trace and span ids are the client's choice, so the event is a
    /// client's record, validated and refused as one (a client posting the same id to <c>POST /api/usage</c> only
    /// ever meets its own team's event, as ids are per team).
    /// </summary>
    public static string EventId(string traceId, string spanId) => string.Concat(EventIdPrefix, traceId, ":", spanId);

    /// <summary>
    /// Reads every span; <paramref name="sheet"/> resolves names and <paramref name="now"/> anchors the time bounds.
    /// A call for a team <paramref name="mayRecordFor"/> refuses (another team's, for an ingest key) is rejected
    /// like any invalid span, so nothing is recorded for it and the caller's other spans still are.
    /// </summary>
    public GenAiSpanBatch Read(IEnumerable<TelemetrySpan> spans, PriceSheet sheet, DateTimeOffset now, Func<string, bool> mayRecordFor)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(sheet);
        ArgumentNullException.ThrowIfNull(mayRecordFor);
        var events = new List<GenAiSpanEvent>();
        var rejected = new List<RejectedSpan>();
        var ignored = 0;
        foreach (var span in spans)
        {
            if (!IsCall(span))
            {
                ignored++;
                continue;
            }

            var mapping = new SpanMapping(span);
            var request = mapping.ToRequest(sheet);
            var validated = validator.ValidateIngest(request, sheet, now);

            // A field the mapping already found wrong (a token count that is not a number) is not reported twice.
            var errors = mapping.Errors
                .Concat(validated.Errors.Where(e => !mapping.Reported.Contains(e.Field)))
                .Select(e => e with { Field = mapping.AttributeOf(e.Field) })
                .ToList();
            if (errors.Count == 0 && !mayRecordFor(validated.Value[0].Team))
            {
                errors.Add(new ValidationError(AccessErrors.TeamForbidden, mapping.AttributeOf("team"),
                    $"This key may not record usage for team '{validated.Value[0].Team}'."));
            }

            if (errors.Count == 0)
            {
                events.Add(new GenAiSpanEvent(span.TraceId, span.SpanId, validated.Value[0]));
            }
            else
            {
                rejected.Add(new RejectedSpan(span.TraceId, span.SpanId, errors));
            }
        }

        return new GenAiSpanBatch(events, rejected, ignored);
    }

    private static bool IsCall(TelemetrySpan span)
    {
        if (span.Attributes.TryGetValue(GenAiAttributes.OperationName, out var operation))
        {
            return operation is not string name || !NotCalls.Contains(name);
        }

        foreach (var key in span.Attributes.Keys)
        {
            if (key.StartsWith(GenAiAttributes.UsagePrefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One span's attributes read into a usage event request, remembering which attribute gave each field.</summary>
    private sealed class SpanMapping(TelemetrySpan span)
    {
        private readonly Dictionary<string, string> _sources = new(StringComparer.Ordinal)
        {
            // Where a missing or wrong field would have come from, named as the app sets it.
            ["id"] = "traceId/spanId",
            ["team"] = GenAiAttributes.Team,
            ["feature"] = GenAiAttributes.Feature,
            ["model"] = GenAiAttributes.ResponseModel,
            ["provider"] = GenAiAttributes.ProviderName,
            ["timestamp"] = "endTimeUnixNano",
            ["latencyMs"] = "startTimeUnixNano/endTimeUnixNano",
            ["inputTokens"] = GenAiAttributes.InputTokens,
            ["cachedInputTokens"] = GenAiAttributes.CacheReadInputTokens,
            ["cacheWriteTokens"] = GenAiAttributes.CacheCreationInputTokens,
            ["outputTokens"] = GenAiAttributes.OutputTokens,
            ["reasoningTokens"] = GenAiAttributes.ReasoningOutputTokens,
            ["session"] = GenAiAttributes.ConversationId,
            ["user"] = GenAiAttributes.User,
            ["app"] = GenAiAttributes.App,
            ["environment"] = GenAiAttributes.Environment,
            ["promptTemplate"] = GenAiAttributes.PromptTemplate,
            ["deployment"] = GenAiAttributes.Deployment,
            ["deploymentType"] = GenAiAttributes.DeploymentType,
            ["reservationId"] = GenAiAttributes.ReservationId,
            ["requestHash"] = GenAiAttributes.RequestHash,
            ["tags"] = GenAiAttributes.TagPrefix + "*",
            ["status"] = "status",
        };

        public List<ValidationError> Errors { get; } = [];

        public HashSet<string> Reported { get; } = new(StringComparer.Ordinal);

        /// <summary>The attribute a validator field came from (<c>tags.k</c> becomes <c>controlplane.tag.k</c>).</summary>
        public string AttributeOf(string field) =>
            _sources.TryGetValue(field, out var attribute) ? attribute
            : field.StartsWith("tags.", StringComparison.Ordinal) ? GenAiAttributes.TagPrefix + field[5..]
            : field;

        public UsageIngestRequest ToRequest(PriceSheet sheet)
        {
            var request = new UsageIngestRequest
            {
                Id = Id(),
                Team = Text("team", GenAiAttributes.Team),
                Feature = Text("feature", GenAiAttributes.Feature),
                User = Text("user", GenAiAttributes.User, GenAiAttributes.UserId),
                App = Text("app", GenAiAttributes.App, GenAiAttributes.ServiceName),
                Environment = Text("environment", GenAiAttributes.Environment, GenAiAttributes.DeploymentEnvironmentName, GenAiAttributes.DeploymentEnvironment),
                PromptTemplate = Text("promptTemplate", GenAiAttributes.PromptTemplate),
                Session = Text("session", GenAiAttributes.ConversationId, GenAiAttributes.Session),
                Deployment = Text("deployment", GenAiAttributes.Deployment),
                DeploymentType = Text("deploymentType", GenAiAttributes.DeploymentType),
                ReservationId = Text("reservationId", GenAiAttributes.ReservationId),
                RequestHash = Text("requestHash", GenAiAttributes.RequestHash),
                Provider = Provider(),
                Model = Model(sheet),
                InputTokens = Count("inputTokens", GenAiAttributes.InputTokens),
                CachedInputTokens = Count("cachedInputTokens", GenAiAttributes.CacheReadInputTokens),
                CacheWriteTokens = Count("cacheWriteTokens", GenAiAttributes.CacheCreationInputTokens),
                OutputTokens = Count("outputTokens", GenAiAttributes.OutputTokens),
                ReasoningTokens = Count("reasoningTokens", GenAiAttributes.ReasoningOutputTokens),
                Tags = Tags(),
                Status = span.Status switch
                {
                    TelemetrySpanStatus.Error => "error",
                    TelemetrySpanStatus.Ok => "ok",
                    _ => null,
                },
            };

            // An embeddings call produces no completion; the conventions leave its output count out.
            if (request.OutputTokens is null && !Reported.Contains("outputTokens")
                && Find(GenAiAttributes.OperationName) is (string and "embeddings", _))
            {
                request.OutputTokens = 0;
            }

            // The call happened when the span ended (its start when an exporter left the end out); a span with
            // neither is recorded at its arrival, as an event without a timestamp is.
            var at = span.EndTimeUnixNano != 0 ? span.EndTimeUnixNano : span.StartTimeUnixNano;
            if (at != 0)
            {
                request.Timestamp = FromUnixNano(at).ToString("O", CultureInfo.InvariantCulture);
            }

            if (span.StartTimeUnixNano != 0 && span.EndTimeUnixNano != 0)
            {
                // An end before the start is a broken span: -1 lets the validator name it (usage_latency_invalid).
                request.LatencyMs = span.EndTimeUnixNano >= span.StartTimeUnixNano
                    ? (long)((span.EndTimeUnixNano - span.StartTimeUnixNano) / 1_000_000)
                    : -1;
            }

            return request;
        }

        private string? Id()
        {
            if (IsId(span.TraceId, 32) && IsId(span.SpanId, 16))
            {
                return EventId(span.TraceId, span.SpanId);
            }

            Fail("id", TelemetryErrors.SpanIdInvalid,
                "The span needs a 16-byte trace id and an 8-byte span id, not all zero: they make the event's id, by which a re-sent span is recorded once.");
            return null;
        }

        private static bool IsId(string hex, int length) =>
            hex.Length == length && hex.Any(c => c != '0') && hex.All(char.IsAsciiHexDigitLower);

        private string? Provider()
        {
            var name = Text("provider", GenAiAttributes.ProviderName, GenAiAttributes.System);
            return name is not null && ConventionProviders.TryGetValue(name.Trim(), out var canonical) ? canonical : name;
        }

        private string? Model(PriceSheet sheet)
        {
            var response = Text("model", GenAiAttributes.ResponseModel);
            var requested = Text("model", GenAiAttributes.RequestModel);
            if (response is null || (requested is not null
                && !sheet.ResolveNames(null, response).ModelKnown && sheet.ResolveNames(null, requested).ModelKnown))
            {
                _sources["model"] = GenAiAttributes.RequestModel;
                return requested;
            }

            _sources["model"] = GenAiAttributes.ResponseModel;
            return response;
        }

        /// <summary>A text field from the first of <paramref name="keys"/> set on the span, else on its resource.
        /// Numbers and booleans are written as text; lists, maps and bytes are refused.</summary>
        private string? Text(string field, params ReadOnlySpan<string> keys)
        {
            foreach (var key in keys)
            {
                if (Find(key) is not ({ } value, _))
                {
                    continue;
                }

                _sources[field] = key;
                switch (value)
                {
                    case string text:
                        return text;
                    case long or double or bool:
                        return Convert.ToString(value, CultureInfo.InvariantCulture)!.ToLowerInvariant();
                    default:
                        Fail(field, TelemetryErrors.AttributeInvalid, $"{key} must be a string.");
                        return null;
                }
            }

            return null;
        }

        /// <summary>A token count: an integer attribute (a double is accepted when it is a whole number, as
        /// JavaScript exporters may send one). Only the span's own attributes count: usage belongs to one call.</summary>
        private long? Count(string field, string key)
        {
            if (!span.Attributes.TryGetValue(key, out var value))
            {
                return null;
            }

            switch (value)
            {
                case long count:
                    return count;
                case double d when double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) <= UsageEventValidator.MaxTokens * 10d:
                    return (long)d;
                default:
                    Fail(field, TelemetryErrors.AttributeInvalid, $"{key} must be an integer.");
                    return null;
            }
        }

        private Dictionary<string, string>? Tags()
        {
            Dictionary<string, string>? tags = null;
            foreach (var attributes in new[] { span.ResourceAttributes, span.Attributes })
            {
                foreach (var (key, value) in attributes)
                {
                    if (!key.StartsWith(GenAiAttributes.TagPrefix, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var name = key[GenAiAttributes.TagPrefix.Length..];
                    if (value is string or long or double or bool)
                    {
                        (tags ??= new(StringComparer.Ordinal))[name] = value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture)!.ToLowerInvariant();
                    }
                    else
                    {
                        Fail("tags." + name, TelemetryErrors.AttributeInvalid, $"{key} must be a string.");
                    }
                }
            }

            return tags;
        }

        private (object? Value, bool OnSpan) Find(string key) =>
            span.Attributes.TryGetValue(key, out var value) ? (value, true)
            : span.ResourceAttributes.TryGetValue(key, out value) ? (value, false)
            : (null, false);

        private void Fail(string field, string code, string message)
        {
            Reported.Add(field);
            Errors.Add(new ValidationError(code, field, message));
        }
    }

    private static DateTimeOffset FromUnixNano(ulong nanos) => DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));
}
