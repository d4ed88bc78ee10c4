using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.Batch;

/// <summary>
/// <c>POST /api/batch/requests</c>: a chat-completions request that may wait for tonight's batch at half the price.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class BatchSubmissionRequest
{
    /// <summary>Optional idempotency key (1-100 letters, digits, '-', '_'): a retried submission returns the first.</summary>
    public string? Id { get; set; }

    public string? Team { get; set; }
    public string? Feature { get; set; }
    public string? User { get; set; }
    public string? App { get; set; }
    public string? Environment { get; set; }

    /// <summary>The model (as the price sheet names it); also the deployment unless <see cref="Deployment"/> is given.</summary>
    public string? Model { get; set; }

    /// <summary>The Azure OpenAI global-batch deployment, when its name differs from the model's.</summary>
    public string? Deployment { get; set; }

    /// <summary>A chat-completions request body: <c>messages</c> and any other parameters; <c>model</c> is set to the deployment.</summary>
    public JsonElement? Body { get; set; }

    public long? MaxOutputTokens { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }

    /// <summary>As the Batch API's own metadata; keys and values follow the usage event's tag rules (64 / 256 printable characters).</summary>
    public const int MaxMetadataEntries = 16;

    public ValidationResult<BatchSubmission?> Validate(UsageEventValidator validator, PriceSheet sheet, BudgetOptions budgets, BatchOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(validator);
        var errors = new List<ValidationError>();
        if (Id is not null && !(Id.Length is >= 1 and <= 100 && Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            errors.Add(new(BatchErrors.IdInvalid, "id", "id must be 1-100 letters, digits, '-' or '_'."));
        }

        // Attribution, model and metadata follow the same rules as usage events (metadata becomes the recorded
        // event's tags), so whatever is accepted now can be recorded when the answer comes back.
        var given = string.IsNullOrWhiteSpace(Deployment) ? null : Deployment;
        var asEvent = validator.ValidateCall(new UsageEventRequest
        {
            Id = "batch", Team = Team, Feature = Feature, User = User, App = App, Environment = Environment,
            Model = Model, Deployment = given, InputTokens = 0, OutputTokens = 0, Tags = Metadata,
        }, sheet, now);

        // A deployment named after its model is named as the price sheet spells the model, whatever case or spacing
        // the client used ("GPT-4o-mini " is deployment gpt-4o-mini).
        var deployment = given ?? asEvent.Value?.Model ?? Model?.Trim();
        errors.AddRange(asEvent.Errors.Select(e => e.Field.StartsWith("tags", StringComparison.Ordinal)
            ? new ValidationError(BatchErrors.MetadataInvalid, "metadata" + e.Field["tags".Length..], e.Message.Replace("tags", "metadata entries", StringComparison.Ordinal).Replace("Tag", "Metadata", StringComparison.Ordinal))
            : e));

        if (MaxOutputTokens is null)
        {
            errors.Add(new(BudgetErrors.MaxOutputTokensRequired, "maxOutputTokens",
                "maxOutputTokens is required: it bounds the cost reserved against budgets until the batch runs."));
        }
        else if (MaxOutputTokens < 1 || MaxOutputTokens > budgets.MaxOutputTokens)
        {
            errors.Add(new(UsageErrors.TokensTooLarge, "maxOutputTokens", $"maxOutputTokens must lie between 1 and {budgets.MaxOutputTokens:N0}."));
        }

        ValidateMetadata(errors);
        var body = ValidateBody(deployment, options, errors);
        if (errors.Count > 0)
        {
            return new(null, errors);
        }

        var e = asEvent.Value!;
        return new(new BatchSubmission(
            Id,
            e.Attribution,
            deployment!,
            MaxOutputTokens!.Value,
            Metadata,
            body!,
            PromptTokenEstimator.Count(body!),
            body!["n"] is JsonValue n ? n.GetValue<int>() : 1), errors);
    }

    private void ValidateMetadata(List<ValidationError> errors)
    {
        if (Metadata is null)
        {
            return;
        }

        if (Metadata.Count > MaxMetadataEntries)
        {
            errors.Add(new(BatchErrors.MetadataInvalid, "metadata", $"metadata holds at most {MaxMetadataEntries} entries."));
        }

    }

    private JsonObject? ValidateBody(string? deployment, BatchOptions options, List<ValidationError> errors)
    {
        if (Body is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new(BatchErrors.BodyRequired, "body", "body is required: the chat-completions request to run."));
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(BatchErrors.BodyInvalid, "body", "body must be a JSON object (a chat-completions request)."));
            return null;
        }

        var body = JsonNode.Parse(element.GetRawText())!.AsObject();
        if (body["messages"] is not JsonArray { Count: > 0 } messages || messages.Any(m => m is not JsonObject))
        {
            errors.Add(new(BatchErrors.MessagesRequired, "body.messages", "body.messages must be a non-empty array of message objects."));
        }

        if (body["stream"] is JsonValue stream && stream.TryGetValue<bool>(out var streaming) && streaming)
        {
            errors.Add(new(BatchErrors.StreamingUnsupported, "body.stream", "The Batch API does not stream; leave stream out or false."));
        }

        if (body["model"] is JsonValue model && (!model.TryGetValue<string>(out var named) || !string.Equals(named, deployment, StringComparison.Ordinal)))
        {
            errors.Add(new(BatchErrors.BodyInvalid, "body.model", "body.model must name the deployment, or be left out (it is filled in)."));
        }

        var choices = 1;
        if (body["n"] is JsonValue n && (!n.TryGetValue<int>(out choices) || choices is < 1 or > 128))
        {
            errors.Add(new(BatchErrors.BodyInvalid, "body.n", "body.n must be a whole number from 1 to 128."));
        }

        var capped = false;
        foreach (var name in new[] { "max_tokens", "max_completion_tokens" })
        {
            if (body[name] is not JsonValue cap)
            {
                continue;
            }

            capped = true;
            if (!cap.TryGetValue<long>(out var value) || value < 1 || value > MaxOutputTokens)
            {
                errors.Add(new(BatchErrors.MaxTokensConflict, $"body.{name}",
                    $"body.{name} must be a whole number from 1 to maxOutputTokens: the reservation is sized on maxOutputTokens."));
            }
        }

        if (deployment is not null)
        {
            body["model"] = deployment;
        }

        if (!capped && MaxOutputTokens is > 0)
        {
            // The provider must not write more than was reserved for.
            body["max_completion_tokens"] = MaxOutputTokens.Value;
        }

        if (Encoding.UTF8.GetByteCount(body.ToJsonString()) > options.MaxBodyBytes)
        {
            errors.Add(new(BatchErrors.BodyTooLarge, "body", $"body must be at most {options.MaxBodyBytes:N0} bytes."));
        }

        return body;
    }
}

/// <summary>A validated deferrable request; <see cref="Body"/> is normalised (model = deployment, output capped).</summary>
/// <param name="Choices">The body's <c>n</c>: each choice may write <paramref name="MaxOutputTokens"/>, so the worst case counts them all.</param>
public sealed record BatchSubmission(
    string? Id,
    CallAttribution Attribution,
    string Deployment,
    long MaxOutputTokens,
    IReadOnlyDictionary<string, string>? Metadata,
    JsonObject Body,
    long EstimatedInputTokens,
    int Choices = 1)
{
    /// <summary>Output tokens the call may produce in all: <see cref="MaxOutputTokens"/> per choice.</summary>
    public long WorstCaseOutputTokens => MaxOutputTokens * Choices;
}
