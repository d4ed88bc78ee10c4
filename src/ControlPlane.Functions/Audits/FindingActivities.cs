using ControlPlane.Audits;

namespace ControlPlane.Functions.Audits;

/// <summary>One audit run's candidates, recorded by the run's last activity.</summary>
public sealed record RecordFindingsInput(string RunId, IReadOnlyList<FindingCandidate> Candidates);

/// <summary>
/// The activity every audit orchestration ends with: records its candidates as findings (one per fingerprint), then
/// tries to send the Opened events at once. Recording is idempotent under the run id, so a retried activity changes
/// nothing twice; an event that cannot be sent now stays owed in the finding's row and the
/// <see cref="PublishFindingEventsFunction"/> timer sends it later, so Event Grid being down never fails an audit.
/// </summary>
public sealed partial class FindingActivities(FindingService findings, ILogger<FindingActivities> logger)
{
    [Function(nameof(RecordFindings))]
    public async Task<ObserveSummary> RecordFindings([ActivityTrigger] RecordFindingsInput input, CancellationToken cancellationToken)
    {
        var summary = await findings.ObserveAsync(input.RunId, input.Candidates, cancellationToken).ConfigureAwait(false);
        try
        {
            await findings.PublishPendingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is global::Azure.RequestFailedException or HttpRequestException or TimeoutException)
        {
            LogEventsDeferred(ex, input.RunId);
        }

        return summary;
    }

    [LoggerMessage(1, LogLevel.Warning, "Audit run {RunId}: finding events could not be sent now; they stay owed and the PublishFindingEvents timer sends them")]
    private partial void LogEventsDeferred(Exception exception, string runId);
}

/// <summary>Every 30 seconds: sends the <c>ControlPlane.Finding.Opened</c> events findings still owe (Event Grid was down, or a run crashed between recording and sending).</summary>
public sealed class PublishFindingEventsFunction(FindingService findings, ILogger<PublishFindingEventsFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/PublishFindingEvents</c> answers with it).</returns>
    [Function(nameof(PublishFindingEvents))]
    public async Task<object> PublishFindingEvents([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var published = await findings.PublishPendingAsync(cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(PublishFindingEvents), $"Published {published} finding events.");
        return new { published };
    }
}
