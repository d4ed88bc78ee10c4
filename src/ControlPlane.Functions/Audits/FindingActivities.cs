using ControlPlane.Audits;

namespace ControlPlane.Functions.Audits;

/// <summary>One audit run's candidates, recorded by the run's last activity.</summary>
public sealed record RecordFindingsInput(string RunId, IReadOnlyList<FindingCandidate> Candidates);

/// <summary>
/// The activity every audit orchestration ends with: records its candidates as findings (one per fingerprint) and
/// publishes the Opened events it owes. Idempotent under the run id, so a retried activity changes nothing twice.
/// </summary>
public sealed class FindingActivities(FindingService findings)
{
    [Function(nameof(RecordFindings))]
    public Task<ObserveSummary> RecordFindings([ActivityTrigger] RecordFindingsInput input, CancellationToken cancellationToken) =>
        findings.ObserveAsync(input.RunId, input.Candidates, cancellationToken);
}
