using System.Globalization;
using ControlPlane.Pricing;
using ControlPlane.Privacy;
using ControlPlane.Validation;

namespace ControlPlane.Usage;

/// <summary>
/// Turns posted JSON into <see cref="UsageEvent"/>s, or into every problem found. A request with any problem is
/// rejected whole: a partially recorded batch would leave the client guessing which calls were charged.
/// The user of what a client sends (<see cref="ValidateIngest"/>, <see cref="ValidateCall"/>) is replaced by its
/// pseudonym once valid; <see cref="ValidateSingle"/> keeps it, for the records ControlPlane rebuilds itself.
/// </summary>
/// <param name="users">Default <see cref="UserPseudonymizer.None"/>: user ids kept as sent.</param>
public sealed class UsageEventValidator(UsageOptions options, UserPseudonymizer? users = null)
{
    private readonly UserPseudonymizer _users = users ?? UserPseudonymizer.None;

    public const int MaxIdLength = 128;
    public const int MaxNameLength = 256;
    public const long MaxTokens = 1_000_000_000;
    public const int MaxTags = 20;
    public const int MaxTagKeyLength = 64;
    public const int MaxStatusLength = 64;
    public const long MaxLatencyMs = 86_400_000;
    public const decimal MaxUnits = 1_000_000_000_000m;
    public const int MinRequestHashLength = 8;
    public const int MaxRequestHashLength = 128;

    /// <summary>
    /// Validates a client's single-event or batch body (<c>POST /api/usage</c>). Besides the field rules, a client
    /// may not claim batch prices nor use an id of the server's namespace (<see cref="UsageEventIds"/>).
    /// <paramref name="sheet"/> resolves provider and model names; <paramref name="now"/> anchors defaults and time bounds.
    /// </summary>
    public ValidationResult<IReadOnlyList<UsageEvent>> ValidateIngest(UsageIngestRequest request, PriceSheet sheet, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sheet);
        var errors = new List<ValidationError>();
        var events = new List<UsageEvent>();
        if (request.Events is null)
        {
            if (Validate(request, string.Empty, sheet, now, fromClient: true, pseudonymize: true, errors) is { } single)
            {
                events.Add(single);
            }

            return new(events, errors);
        }

        if (HasAnyEventField(request))
        {
            errors.Add(new(UsageErrors.RequestAmbiguous, "events",
                "Send either one event or {\"events\": [...]}, not event fields beside an events array."));
        }

        if (request.Events.Count == 0)
        {
            errors.Add(new(UsageErrors.BatchEmpty, "events", "The events array is empty."));
        }
        else if (request.Events.Count > options.MaxEventsPerRequest)
        {
            errors.Add(new(UsageErrors.BatchTooLarge, "events",
                $"At most {options.MaxEventsPerRequest} events per request; got {request.Events.Count}."));
            return new(events, errors);
        }

        for (var i = 0; i < request.Events.Count; i++)
        {
            var prefix = $"events[{i}].";
            if (request.Events[i] is not { } item)
            {
                errors.Add(new(UsageErrors.EventNull, $"events[{i}]", "An event is null."));
            }
            else if (Validate(item, prefix, sheet, now, fromClient: true, pseudonymize: true, errors) is { } valid)
            {
                events.Add(valid);
            }
        }

        return new(events, errors);
    }

    /// <summary>
    /// Validates one event's fields and resolves its names, where the event is not a client's record: quotes,
    /// and the usage the server records itself from its own records, which may carry batch prices and a server id
    /// and whose user is already a pseudonym (so it is kept as it is, never hashed twice).
    /// </summary>
    public ValidationResult<UsageEvent?> ValidateSingle(UsageEventRequest request, PriceSheet sheet, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sheet);
        var errors = new List<ValidationError>();
        var valid = Validate(request, string.Empty, sheet, now, fromClient: false, pseudonymize: false, errors);
        return new(valid, errors);
    }

    /// <summary>
    /// As <see cref="ValidateSingle"/>, for the call behind a client's authorization or deferrable request (their
    /// callers refuse what clients may not ask for): its user enters here, so it is replaced by its pseudonym, the
    /// same one <see cref="ValidateIngest"/> gives the usage that settles it.
    /// </summary>
    public ValidationResult<UsageEvent?> ValidateCall(UsageEventRequest request, PriceSheet sheet, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sheet);
        var errors = new List<ValidationError>();
        var valid = Validate(request, string.Empty, sheet, now, fromClient: false, pseudonymize: true, errors);
        return new(valid, errors);
    }

    private UsageEvent? Validate(UsageEventRequest r, string prefix, PriceSheet sheet, DateTimeOffset now, bool fromClient, bool pseudonymize, List<ValidationError> errors)
    {
        var before = errors.Count;
        var id = Required(r.Id, prefix + "id", MaxIdLength, UsageErrors.IdTooLong, errors);
        var team = Required(r.Team, prefix + "team", MaxNameLength, UsageErrors.FieldTooLong, errors);
        var feature = Required(r.Feature, prefix + "feature", MaxNameLength, UsageErrors.FieldTooLong, errors);
        var model = Required(r.Model, prefix + "model", MaxNameLength, UsageErrors.FieldTooLong, errors);
        Optional(r.User, prefix + "user", MaxNameLength, errors);
        Optional(r.App, prefix + "app", MaxNameLength, errors);
        Optional(r.Environment, prefix + "environment", MaxNameLength, errors);
        Optional(r.PromptTemplate, prefix + "promptTemplate", MaxNameLength, errors);
        Optional(r.Provider, prefix + "provider", MaxNameLength, errors);
        Optional(r.Deployment, prefix + "deployment", MaxNameLength, errors);
        Optional(r.ReservationId, prefix + "reservationId", MaxIdLength, errors);
        Optional(r.Status, prefix + "status", MaxStatusLength, errors);
        Optional(r.Session, prefix + "session", MaxIdLength, errors);
        ValidateRequestHash(r.RequestHash, prefix + "requestHash", errors);

        // Deployment types ControlPlane prices; anything else is a typo worth rejecting.
        if (r.DeploymentType is not null && !DeploymentTypes.IsKnown(r.DeploymentType))
        {
            errors.Add(new(UsageErrors.DeploymentTypeInvalid, prefix + "deploymentType",
                "deploymentType must be one of global, datazone, regional, batch, provisioned."));
        }

        if (fromClient)
        {
            RefuseServerOnly(r, id, prefix, errors);
        }

        var names = ResolveNames(r, model, prefix, sheet, errors);
        var timestamp = ValidateTimestamp(r.Timestamp, prefix + "timestamp", now, errors);
        var tokens = ValidateTokens(r, prefix, errors);

        if (r.Units is { } units && (units < 0 || units > MaxUnits))
        {
            errors.Add(new(UsageErrors.UnitsInvalid, prefix + "units", $"units must lie between 0 and {MaxUnits}."));
        }

        if (r.LatencyMs is { } latency && (latency < 0 || latency > MaxLatencyMs))
        {
            errors.Add(new(UsageErrors.LatencyInvalid, prefix + "latencyMs", $"latencyMs must lie between 0 and {MaxLatencyMs}."));
        }

        ValidateTags(r.Tags, prefix + "tags", errors);

        if (errors.Count > before)
        {
            return null;
        }

        return new UsageEvent
        {
            Id = id!,
            Timestamp = timestamp,
            Team = team!,
            Feature = feature!,
            // After the length and character rules: the raw id is what the client must get right.
            User = pseudonymize ? _users.Pseudonymize(r.User) : r.User,
            App = r.App,
            Environment = string.IsNullOrEmpty(r.Environment) ? UsageDefaults.Environment : r.Environment,
            PromptTemplate = r.PromptTemplate,
            Provider = names.Provider,
            Model = names.Model,
            Deployment = r.Deployment,
            DeploymentType = r.DeploymentType?.ToLowerInvariant(),
            Batch = r.Batch == true || string.Equals(r.DeploymentType, DeploymentTypes.Batch, StringComparison.OrdinalIgnoreCase),
            Tokens = tokens,
            ReservationId = r.ReservationId,
            Session = r.Session,
            RequestHash = r.RequestHash,
            Units = r.Units,
            Tags = r.Tags,
            LatencyMs = r.LatencyMs,
            Status = r.Status,
        };
    }

    /// <summary>What only the server may record: ids in its namespace, and usage at batch prices (which only the
    /// nightly batch's own results earn).</summary>
    private static void RefuseServerOnly(UsageEventRequest r, string? id, string prefix, List<ValidationError> errors)
    {
        if (id is not null && UsageEventIds.IsReserved(id))
        {
            errors.Add(new(UsageErrors.IdReserved, prefix + "id",
                $"Ids starting with '{UsageEventIds.ServerPrefix}' (or the legacy {string.Join(", ", UsageEventIds.LegacyServerPrefixes.Select(p => $"'{p}'"))}) are written by ControlPlane itself; choose another id."));
        }

        if (r.Batch == true)
        {
            errors.Add(new(UsageErrors.BatchPriceReserved, prefix + "batch",
                "Batch prices apply only to usage ControlPlane's nightly batch records; post deferrable work to /api/batch/requests."));
        }

        if (DeploymentTypes.IsBatch(r.DeploymentType))
        {
            errors.Add(new(UsageErrors.BatchPriceReserved, prefix + "deploymentType",
                "deploymentType 'batch' is priced at batch prices, which apply only to usage ControlPlane's nightly batch records; post deferrable work to /api/batch/requests."));
        }
    }

    /// <summary>
    /// Canonical provider and model names. A provider the sheet does not know, or one that does not price a model
    /// other providers do, is refused rather than recorded at $0; an unknown model is recorded (unpriced).
    /// </summary>
    private static ResolvedNames ResolveNames(UsageEventRequest r, string? model, string prefix, PriceSheet sheet, List<ValidationError> errors)
    {
        if (model is null || (r.Provider is not null && (r.Provider.Length > MaxNameLength || HasControlCharacters(r.Provider))))
        {
            // The field rules already reported the problem.
            return new ResolvedNames(null, model ?? string.Empty, true, []);
        }

        var names = sheet.ResolveNames(r.Provider, model);
        if (!names.ProviderKnown)
        {
            errors.Add(new(UsageErrors.ProviderUnknown, prefix + "provider",
                $"Unknown provider '{r.Provider!.Trim()}'. Known providers: {KnownProviders(sheet)}; or leave provider out."));
        }
        else if (!names.ProviderPricesModel)
        {
            errors.Add(new(UsageErrors.ProviderModelMismatch, prefix + "provider",
                $"Model '{names.Model}' is not priced under provider '{names.Provider}'; it is priced under {string.Join(", ", names.ProvidersOfModel)}. Name one of them or leave provider out."));
        }

        return names;
    }

    private static string KnownProviders(PriceSheet sheet) =>
        string.Join(", ", sheet.Providers.Select(p =>
        {
            var aliases = ProviderNames.Aliases.Where(a => a.Value == p).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
            return aliases.Count == 0 ? p : $"{p} (also {string.Join(", ", aliases)})";
        }));

    private DateTimeOffset ValidateTimestamp(string? value, string field, DateTimeOffset now, List<ValidationError> errors)
    {
        if (value is null)
        {
            return now;
        }

        if (!TryParseRfc3339(value, out var timestamp))
        {
            errors.Add(new(UsageErrors.TimestampInvalid, field,
                "timestamp must be RFC 3339 with an offset, for example 2026-11-23T10:15:00Z."));
            return now;
        }

        if (timestamp > now + options.MaxClockSkew)
        {
            errors.Add(new(UsageErrors.TimestampInFuture, field,
                $"timestamp lies more than {options.MaxClockSkew} ahead of the server clock."));
        }
        else if (timestamp < now - options.MaxBackfill)
        {
            errors.Add(new(UsageErrors.TimestampTooOld, field,
                $"timestamp lies more than {options.MaxBackfill.TotalDays:0.##} days in the past."));
        }

        return timestamp.ToUniversalTime();
    }

    /// <summary>RFC 3339 demands an explicit offset; a bare local time would be priced in whatever zone the server runs.</summary>
    internal static bool TryParseRfc3339(string value, out DateTimeOffset timestamp)
    {
        timestamp = default;
        if (value.Length < 20 || value[10] is not ('T' or 't'))
        {
            return false;
        }

        var last = value[^1];
        var hasOffset = last is 'Z' or 'z' || (value.Length > 6 && value[^6] is '+' or '-' && value[^3] == ':');
        return hasOffset && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    private static UsageTokens ValidateTokens(UsageEventRequest r, string prefix, List<ValidationError> errors)
    {
        var hasFlat = r.InputTokens is not null || r.OutputTokens is not null || r.CachedInputTokens is not null
            || r.CacheWriteTokens is not null || r.ReasoningTokens is not null;
        if (r.Usage is not null || r.UsageMetadata is not null)
        {
            if (hasFlat)
            {
                errors.Add(new(UsageErrors.TokensConflict, prefix + (r.Usage is not null ? "usage" : "usageMetadata"),
                    "Send either the usage object or the flat token fields, not both."));
                return default;
            }

            if (r.Usage is not null && r.UsageMetadata is not null)
            {
                errors.Add(new(UsageErrors.ShapeMixed, prefix + "usageMetadata",
                    "Send one provider usage object per event: usage (OpenAI or Anthropic) or usageMetadata (Gemini), not both."));
                return default;
            }

            return r.Usage is { } usage
                ? FromProviderUsage(usage, prefix + "usage.", errors)
                : FromGeminiUsage(r.UsageMetadata!, prefix + "usageMetadata.", errors);
        }

        if (r.InputTokens is null || r.OutputTokens is null)
        {
            if (r.InputTokens is null)
            {
                errors.Add(new(UsageErrors.TokensMissing, prefix + "inputTokens", "inputTokens is required (or send a usage object)."));
            }

            if (r.OutputTokens is null)
            {
                errors.Add(new(UsageErrors.TokensMissing, prefix + "outputTokens", "outputTokens is required (or send a usage object)."));
            }

            return default;
        }

        return Partition(
            (r.InputTokens, prefix + "inputTokens"),
            (r.CachedInputTokens, prefix + "cachedInputTokens"),
            (r.CacheWriteTokens, prefix + "cacheWriteTokens"),
            (r.OutputTokens, prefix + "outputTokens"),
            (r.ReasoningTokens, prefix + "reasoningTokens"),
            errors);
    }

    /// <summary>
    /// Which of the three <c>usage</c> shapes the object is. Responses and Anthropic share <c>input_tokens</c> and
    /// <c>output_tokens</c> but partition them differently, so the shape is read from the fields only one of them
    /// has; an object with fields of two shapes is refused rather than priced by a guess.
    /// </summary>
    private static UsageTokens FromProviderUsage(ProviderUsage u, string prefix, List<ValidationError> errors)
    {
        var chat = u.PromptTokens is not null || u.CompletionTokens is not null
            || u.PromptTokensDetails is not null || u.CompletionTokensDetails is not null;
        var responses = u.InputTokensDetails is not null || u.OutputTokensDetails is not null;
        var anthropic = u.CacheReadInputTokens is not null || u.CacheCreationInputTokens is not null;
        var shared = u.InputTokens is not null || u.OutputTokens is not null;
        var shapes = new List<string>();
        if (chat) { shapes.Add("OpenAI Chat Completions (prompt_tokens, completion_tokens)"); }
        if (responses || (shared && !anthropic)) { shapes.Add("OpenAI Responses (input_tokens, output_tokens, *_details)"); }
        if (anthropic) { shapes.Add("Anthropic Messages (input_tokens, cache_read_input_tokens, cache_creation_input_tokens)"); }
        if (anthropic && u.TotalTokens is not null && !chat) { shapes.Add("OpenAI (total_tokens)"); }

        if (shapes.Count > 1)
        {
            errors.Add(new(UsageErrors.ShapeMixed, prefix.TrimEnd('.'),
                $"The usage object mixes fields of {string.Join(" and ", shapes)}; forward one provider's usage object as it was returned."));
            return default;
        }

        return anthropic ? FromAnthropicUsage(u, prefix, errors) : FromOpenAiUsage(u, chat, prefix, errors);
    }

    private static UsageTokens FromOpenAiUsage(ProviderUsage u, bool chatShape, string prefix, List<ValidationError> errors)
    {
        var input = chatShape ? (u.PromptTokens, prefix + "prompt_tokens") : (u.InputTokens, prefix + "input_tokens");
        var output = chatShape ? (u.CompletionTokens, prefix + "completion_tokens") : (u.OutputTokens, prefix + "output_tokens");
        var cached = chatShape
            ? (u.PromptTokensDetails?.CachedTokens, prefix + "prompt_tokens_details.cached_tokens")
            : (u.InputTokensDetails?.CachedTokens, prefix + "input_tokens_details.cached_tokens");
        var reasoning = chatShape
            ? (u.CompletionTokensDetails?.ReasoningTokens, prefix + "completion_tokens_details.reasoning_tokens")
            : (u.OutputTokensDetails?.ReasoningTokens, prefix + "output_tokens_details.reasoning_tokens");

        if (input.Item1 is null || output.Item1 is null)
        {
            errors.Add(new(UsageErrors.TokensMissing, prefix.TrimEnd('.'),
                "The usage object needs prompt_tokens and completion_tokens (or input_tokens and output_tokens)."));
            return default;
        }

        var tokens = Partition(input, cached, (null, prefix + "cache_write_tokens"), output, reasoning, errors);
        if (u.TotalTokens is { } total && total != input.Item1 + output.Item1)
        {
            errors.Add(new(UsageErrors.TokensTotalMismatch, prefix + "total_tokens",
                "total_tokens does not equal prompt_tokens + completion_tokens."));
        }

        return tokens;
    }

    /// <summary>
    /// Anthropic's <c>input_tokens</c> counts only the prompt tokens after the last cache breakpoint: the prompt is
    /// <c>input_tokens + cache_read_input_tokens + cache_creation_input_tokens</c>. Extended thinking is billed inside
    /// <c>output_tokens</c> and not reported apart, so no reasoning split.
    /// </summary>
    private static UsageTokens FromAnthropicUsage(ProviderUsage u, string prefix, List<ValidationError> errors)
    {
        if (u.InputTokens is null || u.OutputTokens is null)
        {
            errors.Add(new(UsageErrors.TokensMissing, prefix.TrimEnd('.'),
                "Anthropic's usage object needs input_tokens and output_tokens."));
            return default;
        }

        var read = (u.CacheReadInputTokens, prefix + "cache_read_input_tokens");
        var creation = (u.CacheCreationInputTokens, prefix + "cache_creation_input_tokens");
        var output = (u.OutputTokens, prefix + "output_tokens");
        if (!InRange([(u.InputTokens, prefix + "input_tokens"), read, creation, output], errors))
        {
            return default;
        }

        var prompt = u.InputTokens + (read.Item1 ?? 0) + (creation.Item1 ?? 0);
        return Partition((prompt, prefix + "input_tokens"), read, creation, output, (null, prefix + "output_tokens"), errors);
    }

    /// <summary>
    /// Gemini's <c>promptTokenCount</c> already includes the cached tokens; thoughts are billed as output on top of
    /// <c>candidatesTokenCount</c>, and tool-use prompt tokens as input. Counts Gemini leaves out are zero (its JSON
    /// omits zero fields).
    /// </summary>
    private static UsageTokens FromGeminiUsage(GeminiUsageMetadata g, string prefix, List<ValidationError> errors)
    {
        if (g.PromptTokenCount is null)
        {
            errors.Add(new(UsageErrors.TokensMissing, prefix + "promptTokenCount", "usageMetadata needs promptTokenCount."));
            return default;
        }

        var cached = (g.CachedContentTokenCount, prefix + "cachedContentTokenCount");
        var thoughts = (g.ThoughtsTokenCount, prefix + "thoughtsTokenCount");
        var candidates = (g.CandidatesTokenCount, prefix + "candidatesTokenCount");
        var toolUse = (g.ToolUsePromptTokenCount, prefix + "toolUsePromptTokenCount");
        if (!InRange([(g.PromptTokenCount, prefix + "promptTokenCount"), cached, thoughts, candidates, toolUse], errors))
        {
            return default;
        }

        var input = g.PromptTokenCount + (toolUse.Item1 ?? 0);
        var output = (candidates.Item1 ?? 0) + (thoughts.Item1 ?? 0);
        var tokens = Partition((input, prefix + "promptTokenCount"), cached, (null, prefix + "cacheWriteTokens"), (output, prefix + "candidatesTokenCount"), thoughts, errors);
        if (g.TotalTokenCount is { } total && total != input + output)
        {
            errors.Add(new(UsageErrors.TokensTotalMismatch, prefix + "totalTokenCount",
                "totalTokenCount does not equal promptTokenCount + toolUsePromptTokenCount + candidatesTokenCount + thoughtsTokenCount."));
        }

        return tokens;
    }

    private static bool InRange(IEnumerable<(long? Value, string Field)> counts, List<ValidationError> errors)
    {
        var before = errors.Count;
        foreach (var (value, field) in counts)
        {
            if (value < 0)
            {
                errors.Add(new(UsageErrors.TokensNegative, field, "Token counts cannot be negative."));
            }
            else if (value > MaxTokens)
            {
                errors.Add(new(UsageErrors.TokensTooLarge, field, $"Token counts cannot exceed {MaxTokens:N0}."));
            }
        }

        return errors.Count == before;
    }

    private static UsageTokens Partition(
        (long? Value, string Field) input,
        (long? Value, string Field) cached,
        (long? Value, string Field) cacheWrite,
        (long? Value, string Field) output,
        (long? Value, string Field) reasoning,
        List<ValidationError> errors)
    {
        if (!InRange([input, cached, cacheWrite, output, reasoning], errors))
        {
            return default;
        }

        var tokens = new UsageTokens(
            input.Value ?? 0, cached.Value ?? 0, cacheWrite.Value ?? 0, output.Value ?? 0, reasoning.Value ?? 0);
        if (tokens.CachedInputTokens + tokens.CacheWriteTokens > tokens.InputTokens)
        {
            errors.Add(new(UsageErrors.TokensPartitionInput, cached.Field,
                "Cached and cache-write tokens are part of the input tokens, so together they cannot exceed them."));
        }

        if (tokens.ReasoningTokens > tokens.OutputTokens)
        {
            errors.Add(new(UsageErrors.TokensPartitionOutput, reasoning.Field,
                "Reasoning tokens are part of the output tokens, so they cannot exceed them."));
        }

        return tokens;
    }

    /// <summary>
    /// A request hash is a bounded token, so a client cannot smuggle a prompt (or anything with spaces and
    /// punctuation) into the ledger through it: hex, base64 and <c>sha256:…</c> style values pass.
    /// </summary>
    private static void ValidateRequestHash(string? hash, string field, List<ValidationError> errors)
    {
        if (hash is null)
        {
            return;
        }

        if (hash.Length is < MinRequestHashLength or > MaxRequestHashLength
            || !hash.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=' or '_' or ':' or '-'))
        {
            errors.Add(new(UsageErrors.RequestHashInvalid, field,
                $"requestHash is {MinRequestHashLength} to {MaxRequestHashLength} characters of A-Z, a-z, 0-9, '+', '/', '=', '_', ':' or '-': a hash of the prompt, never the prompt."));
        }
    }

    private static void ValidateTags(Dictionary<string, string>? tags, string field, List<ValidationError> errors)
    {
        if (tags is null)
        {
            return;
        }

        if (tags.Count > MaxTags)
        {
            errors.Add(new(UsageErrors.TagsTooMany, field, $"At most {MaxTags} tags per event."));
            return;
        }

        foreach (var (key, value) in tags)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > MaxTagKeyLength || HasControlCharacters(key))
            {
                errors.Add(new(UsageErrors.TagInvalid, field, $"Tag keys are 1 to {MaxTagKeyLength} printable characters."));
            }
            else if (value is null || value.Length > MaxNameLength || HasControlCharacters(value))
            {
                errors.Add(new(UsageErrors.TagInvalid, $"{field}.{key}", $"Tag values are at most {MaxNameLength} printable characters."));
            }
        }
    }

    private static string? Required(string? value, string field, int maxLength, string tooLongCode, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(UsageErrors.FieldRequired, field, $"{FieldName(field)} is required."));
            return null;
        }

        return CheckText(value, field, maxLength, tooLongCode, errors) ? value : null;
    }

    private static void Optional(string? value, string field, int maxLength, List<ValidationError> errors)
    {
        if (value is not null)
        {
            CheckText(value, field, maxLength, UsageErrors.FieldTooLong, errors);
        }
    }

    private static bool CheckText(string value, string field, int maxLength, string tooLongCode, List<ValidationError> errors)
    {
        if (value.Length > maxLength)
        {
            errors.Add(new(tooLongCode, field, $"{FieldName(field)} is longer than {maxLength} characters."));
            return false;
        }

        if (HasControlCharacters(value))
        {
            errors.Add(new(UsageErrors.FieldInvalid, field, $"{FieldName(field)} contains control characters."));
            return false;
        }

        return true;
    }

    private static bool HasControlCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static string FieldName(string field) => field[(field.LastIndexOf('.') + 1)..];

    private static bool HasAnyEventField(UsageEventRequest r) =>
        r.Id is not null || r.Team is not null || r.Feature is not null || r.Model is not null
        || r.InputTokens is not null || r.OutputTokens is not null || r.Usage is not null || r.UsageMetadata is not null;
}
