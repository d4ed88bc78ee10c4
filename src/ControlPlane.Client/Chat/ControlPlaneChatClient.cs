using System.Runtime.CompilerServices;
using ControlPlane.Client.Api;
using ControlPlane.Client.Usage;
using Microsoft.Extensions.AI;

namespace ControlPlane.Client.Chat;

/// <summary>
/// <c>IChatClient</c> middleware: before each call it authorizes the worst case (prompt counted locally, the output
/// cap required or defaulted and then sent to the provider); a denial throws <see cref="ControlPlaneDeniedException"/>
/// and the call never leaves the app. After the call it queues the usage the provider reported (cached and reasoning
/// tokens included) with the reservation id, so the reservation settles at the actual cost; a streaming call reports
/// once, from its final usage update. A call that fails releases its reservation at once.
/// </summary>
public sealed class ControlPlaneChatClient : DelegatingChatClient
{
    private readonly UsageReporter _reporter;
    private readonly ControlPlaneClientOptions _options;

    public ControlPlaneChatClient(IChatClient innerClient, UsageReporter reporter)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        _reporter = reporter;
        _options = reporter.Client.Options;
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = await AuthorizeAsync(messages, options, cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(call.Messages, call.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await ReleaseAsync(call).ConfigureAwait(false);
            throw;
        }

        Report(call, response.Usage, response.ModelId);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = await AuthorizeAsync(messages, options, cancellationToken).ConfigureAwait(false);
        UsageDetails? usage = null;
        string? modelId = null;
        var settled = false;
        var updates = base.GetStreamingResponseAsync(call.Messages, call.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = updates.Current;
                }
                catch (Exception)
                {
                    settled = true;
                    await ReleaseAsync(call).ConfigureAwait(false);
                    throw;
                }

                modelId ??= update.ModelId;
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent u)
                    {
                        // The provider's final update carries the whole call's usage; sum in case one splits it.
                        usage ??= new UsageDetails();
                        usage.Add(u.Details);
                    }
                }

                yield return update;
            }

            settled = true;
            Report(call, usage, modelId);
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
            if (!settled)
            {
                // The app stopped reading before the end: the final usage never arrived. Releasing returns the hold
                // now rather than at its expiry; the provider's partial charge is not known here.
                await ReleaseAsync(call).ConfigureAwait(false);
            }
        }
    }

    private async Task<AuthorizedCall> AuthorizeAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var attribution = CallAttribution.From(_options, options?.AdditionalProperties);
        var model = options?.ModelId ?? this.GetService<ChatClientMetadata>()?.DefaultModelId
            ?? throw new InvalidOperationException("ControlPlane needs the model to price a call: set ChatOptions.ModelId or use a chat client that names its model.");
        var maxOutput = options?.MaxOutputTokens ?? _options.DefaultMaxOutputTokens
            ?? throw new InvalidOperationException("ControlPlane prices a call's worst case: set ChatOptions.MaxOutputTokens or ControlPlaneClientOptions.DefaultMaxOutputTokens.");

        // The provider must see the cap the reservation assumed, and must not see our attribution properties.
        var sent = options?.Clone() ?? new ChatOptions();
        sent.MaxOutputTokens = maxOutput;
        if (sent.AdditionalProperties is { } extra)
        {
            foreach (var key in new[] { ControlPlaneProperties.Team, ControlPlaneProperties.Feature, ControlPlaneProperties.User, ControlPlaneProperties.Session, ControlPlaneProperties.PromptTemplate })
            {
                extra.Remove(key);
            }

            if (extra.Count == 0)
            {
                sent.AdditionalProperties = null;
            }
        }

        var inputTokens = PromptTokenCounter.CountMessages(list.Select(m => m.Text));
        var answer = await _reporter.Client.AuthorizeAsync(
            AuthorizeRequest.For(attribution, _options.Provider, model, inputTokens, maxOutput), cancellationToken).ConfigureAwait(false);
        if (!answer.Allowed)
        {
            throw new ControlPlaneDeniedException(answer);
        }

        return new AuthorizedCall(list, sent, attribution, model, inputTokens, answer.ReservationId!, Guid.NewGuid().ToString("N"), _options.TimeProvider.GetTimestamp());
    }

    private void Report(AuthorizedCall call, UsageDetails? usage, string? modelId)
    {
        var latency = (long)_options.TimeProvider.GetElapsedTime(call.Started).TotalMilliseconds;
        var reasoning = usage?.ReasoningTokenCount;
        var output = usage?.OutputTokenCount;
        _reporter.Enqueue(UsageReport.Of(call.EventId, call.Attribution, call.Model, _options.Provider, _options.TimeProvider.GetUtcNow()) with
        {
            Deployment = modelId is not null && modelId != call.Model ? modelId : null,

            // Without usage from the provider, the local prompt count and no output are recorded, flagged in status.
            InputTokens = usage?.InputTokenCount ?? call.InputTokens,
            CachedInputTokens = usage?.CachedInputTokenCount,
            OutputTokens = output ?? 0,

            // Some providers report reasoning beside the output rather than inside it; the ledger wants it inside.
            ReasoningTokens = reasoning is { } r && output is { } o && r > o ? o : reasoning,
            ReservationId = call.ReservationId,
            LatencyMs = latency,
            Status = usage is null ? "usage_missing" : null,
        });
    }

    private Task ReleaseAsync(AuthorizedCall call) => _reporter.ReleaseAsync(call.ReservationId);

    private sealed record AuthorizedCall(
        IReadOnlyList<ChatMessage> Messages, ChatOptions Options, CallAttribution Attribution, string Model, long InputTokens,
        string ReservationId, string EventId, long Started);
}
