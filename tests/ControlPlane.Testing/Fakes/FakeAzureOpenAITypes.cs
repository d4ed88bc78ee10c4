using System.Text.Json.Nodes;

namespace ControlPlane.Testing.Fakes;

/// <summary>A request <see cref="FakeAzureOpenAIServer"/> received: method, path, query string (with <c>?</c>), body as text, and whether it carried an <c>api-key</c>.</summary>
public sealed record RecordedOpenAIRequest(string Method, string Path, string Query, string Body, bool HadApiKey);

/// <summary>A file as the fake holds it.</summary>
public sealed record FakeFile(string Id, string FileName, string Purpose, long Bytes, DateTimeOffset CreatedAt);

/// <summary>A batch as the fake holds it now.</summary>
public sealed record FakeBatch(
    string Id,
    string Status,
    string InputFileId,
    string? OutputFileId,
    string? ErrorFileId,
    int Total,
    int Completed,
    int Failed,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>A batch-level error (<c>errors.data[]</c>), e.g. a validation failure.</summary>
public sealed record FakeBatchError(string Code, string Message, int? Line = null, string? Param = null);

/// <summary>The usage object the fake writes for one line: totals include cached and reasoning tokens, as OpenAI's do.</summary>
public sealed record FakeUsage(int PromptTokens, int CompletionTokens, int CachedTokens = 0, int ReasoningTokens = 0);

/// <summary>One request line of an input file, as the usage delegate sees it. <paramref name="Line"/> counts from 1.</summary>
public sealed record FakeBatchLine(int Line, string CustomId, string Model, JsonObject Body);

/// <summary>
/// What a batch does once it passes validation, scripted by a test through <see cref="FakeAzureOpenAIServer.ScriptNextBatch"/>
/// or <see cref="FakeAzureOpenAIServer.ScriptBatch"/>. The default, <see cref="Completed"/>, answers every line 200.
/// </summary>
public sealed record FakeBatchOutcome
{
    /// <summary>Every line succeeds.</summary>
    public static FakeBatchOutcome Completed { get; } = new();

    /// <summary>Lines (by <c>custom_id</c>) answered 400 with this <c>error.code</c>; they go to the error file. Default none.</summary>
    public IReadOnlyDictionary<string, string> FailedLines { get; init; } = new Dictionary<string, string>();

    /// <summary>Validation errors reported on top of those the fake finds itself; any error fails the batch. Default none.</summary>
    public IReadOnlyList<FakeBatchError> ValidationErrors { get; init; } = [];

    /// <summary>
    /// When set, the 24h window runs out while the batch is in progress: the first this-many lines are done (output or error
    /// file as usual) and every other line goes to the error file with <c>batch_expired</c>. Default null: no expiry.
    /// </summary>
    public int? ExpiresAfterLines { get; init; }

    /// <summary>Lines done when the batch is cancelled while in progress (a batch cancelled while validating has done none). Default 0.</summary>
    public int LinesDoneBeforeCancel { get; init; }

    /// <summary>Validation fails with this error.</summary>
    public static FakeBatchOutcome FailsValidation(string code, string message, int? line = null) =>
        new() { ValidationErrors = [new FakeBatchError(code, message, line)] };

    /// <summary>The batch expires with the first <paramref name="linesDone"/> lines done.</summary>
    public static FakeBatchOutcome Expires(int linesDone) => new() { ExpiresAfterLines = linesDone };

    /// <summary>These lines are rejected by the content filter (400 <c>content_filter</c>); the others succeed.</summary>
    public static FakeBatchOutcome WithFailedLines(params string[] customIds) =>
        new() { FailedLines = customIds.ToDictionary(id => id, _ => "content_filter", StringComparer.Ordinal) };
}
