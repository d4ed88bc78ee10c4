using System.Text.Json;
using ControlPlane.AuditLog;
using ControlPlane.Budgets;
using ControlPlane.Paging;

namespace ControlPlane.Audits;

/// <summary>What recording one audit run's candidates did.</summary>
public sealed record ObserveSummary(int Opened, int Updated, int Reopened, int StayedQuiet)
{
    public static ObserveSummary Empty { get; } = new(0, 0, 0, 0);

    public ObserveSummary Add(ObserveSummary other) =>
        new(Opened + other.Opened, Updated + other.Updated, Reopened + other.Reopened, StayedQuiet + other.StayedQuiet);
}

/// <summary>
/// Keeps findings: audits report candidates, people acknowledge, dismiss, resolve and apply. A candidate seen again
/// updates its finding (evidence, last seen, times seen); a resolved finding seen again opens again; a dismissed
/// one stays quiet until it gets materially worse. Every opening owes one <c>ControlPlane.Finding.Opened</c> event,
/// recorded in the finding's row and published afterwards, so a crash between the two loses nothing.
/// </summary>
public sealed class FindingService(IFindingStore store, IEventPublisher events, TimeProvider time, AuditOptions options)
{
    public const string OpenedEventType = "ControlPlane.Finding.Opened";
    public const string EventSource = "/controlplane/audits";
    /// <summary>
    /// Attempts at one ETag-guarded change before giving up. Writers that lost a race wait a short random while before
    /// the next attempt (<see cref="BackOffAsync"/>), so ten runs recording one finding at once all get through.
    /// </summary>
    private const int MaxAttempts = 40;

    /// <summary>
    /// Records one audit run's candidates. Idempotent under the run id: recording the same run again changes nothing.
    /// Openings are left owing their event; <see cref="PublishPendingAsync"/> sends them.
    /// </summary>
    public async Task<ObserveSummary> ObserveAsync(string runId, IReadOnlyList<FindingCandidate> candidates, CancellationToken cancellationToken = default)
    {
        var summary = ObserveSummary.Empty;
        foreach (var candidate in candidates.DistinctBy(c => c.Fingerprint))
        {
            summary = summary.Add(await ObserveOneAsync(runId, candidate, cancellationToken).ConfigureAwait(false));
        }

        return summary;
    }

    private async Task<ObserveSummary> ObserveOneAsync(string runId, FindingCandidate candidate, CancellationToken cancellationToken)
    {
        var id = Findings.IdFor(candidate.Fingerprint);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                var created = new Finding(id, candidate.Kind, candidate.Fingerprint, candidate.Subject, candidate.Severity, FindingState.Open,
                    candidate.Evidence, candidate.Recommendation, candidate.ProposedAction, candidate.Magnitude, now, now, 1, runId);
                if (await store.TryCreateAsync(created, eventPending: true, cancellationToken).ConfigureAwait(false))
                {
                    return new(1, 0, 0, 0);
                }

                await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var current = stored.Finding;
            if (current.LastRunId == runId)
            {
                // This run recorded it already (the activity ran again after a crash): nothing more to say.
                return new(0, 0, 0, 0);
            }

            var seen = current with
            {
                Severity = candidate.Severity,
                Evidence = candidate.Evidence,
                Recommendation = candidate.Recommendation,
                ProposedAction = current.Applied is null ? candidate.ProposedAction : current.ProposedAction,
                Magnitude = candidate.Magnitude,
                LastSeen = now,
                TimesSeen = current.TimesSeen + 1,
                LastRunId = runId,
            };
            var (next, reopened, quiet) = current.State switch
            {
                FindingState.Resolved => (Reopen(seen, now, "resolved, and seen again"), true, false),
                FindingState.Dismissed when IsMateriallyWorse(current, candidate) =>
                    (Reopen(seen, now, "dismissed, and materially worse since"), true, false),
                FindingState.Dismissed => (seen, false, true),
                _ => (seen, false, false),
            };
            if (await store.TryReplaceAsync(next, stored.ETag, stored.EventPending || reopened, cancellationToken).ConfigureAwait(false))
            {
                return new(0, reopened || quiet ? 0 : 1, reopened ? 1 : 0, quiet ? 1 : 0);
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }

        throw new FindingConflictException(id);
    }

    /// <summary>A lost race: wait 5–50 ms, longer as the losses add up (real time: this is contention, not the domain's clock).</summary>
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 10 + (10 * Math.Min(attempt, 4)))), cancellationToken);

    private static Finding Reopen(Finding finding, DateTimeOffset now, string why) => finding with
    {
        State = FindingState.Open,
        LastChange = new FindingChange(FindingState.Open, now, "audit", why),
        DismissedMagnitude = null,
        DismissedSeverity = null,
        Applied = null,
    };

    private bool IsMateriallyWorse(Finding dismissed, FindingCandidate candidate) =>
        candidate.Severity > (dismissed.DismissedSeverity ?? dismissed.Severity)
        || candidate.Magnitude >= (dismissed.DismissedMagnitude ?? dismissed.Magnitude) * (1m + (decimal)options.MaterialWorsening)
            && candidate.Magnitude > (dismissed.DismissedMagnitude ?? dismissed.Magnitude);

    public async Task<Finding?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await store.GetAsync(id, cancellationToken).ConfigureAwait(false))?.Finding;

    public Task<ListPage<Finding>> ListAsync(FindingFilter filter, PageRequest page, CancellationToken cancellationToken = default) =>
        store.ListAsync(filter, page, cancellationToken);

    /// <summary>
    /// A person moves a finding: acknowledge (open → acknowledged), dismiss (open or acknowledged → dismissed, quiet
    /// until materially worse), resolve (any but resolved → resolved). Moving it to the state it is in changes
    /// nothing. Null when there is no such finding; throws <see cref="FindingTransitionException"/> for a move that is
    /// not allowed.
    /// </summary>
    public async Task<Finding?> TransitionAsync(string id, FindingState to, string by, string? note, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return null;
            }

            var current = stored.Finding;
            if (current.State == to)
            {
                return current;
            }

            var allowed = (current.State, to) switch
            {
                (FindingState.Open, FindingState.Acknowledged) => true,
                (FindingState.Open or FindingState.Acknowledged, FindingState.Dismissed) => true,
                (FindingState.Open or FindingState.Acknowledged or FindingState.Dismissed, FindingState.Resolved) => true,
                _ => false,
            };
            if (!allowed)
            {
                throw new FindingTransitionException(current.State, to);
            }

            var now = time.GetUtcNow();
            var next = current with
            {
                State = to,
                LastChange = new FindingChange(to, now, by, note),
                DismissedMagnitude = to == FindingState.Dismissed ? current.Magnitude : null,
                DismissedSeverity = to == FindingState.Dismissed ? current.Severity : null,
            };
            if (await store.TryReplaceAsync(next, stored.ETag, stored.EventPending, cancellationToken).ConfigureAwait(false))
            {
                return next;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }

        throw new FindingConflictException(id);
    }

    /// <summary>
    /// Records that a finding's proposed action was carried out, by whom and with what result, and acknowledges an
    /// open finding. <c>Recorded</c> is false when the finding is gone or someone recorded an application first
    /// (the caller must not report success twice).
    /// </summary>
    public async Task<(Finding? Finding, bool Recorded)> RecordAppliedAsync(string id, AuditActor by, JsonElement result, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (stored?.Finding is not { ProposedAction: { } action, Applied: null } current)
            {
                return (stored?.Finding, false);
            }

            var now = time.GetUtcNow();
            var state = current.State is FindingState.Open ? FindingState.Acknowledged : current.State;
            var next = current with
            {
                Applied = new AppliedAction(action.Type, now, by, result),
                State = state,
                LastChange = new FindingChange(state, now, by.KeyId, $"applied {action.Type}"),
            };
            if (await store.TryReplaceAsync(next, stored.ETag, stored.EventPending, cancellationToken).ConfigureAwait(false))
            {
                return (next, true);
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }

        throw new FindingConflictException(id);
    }

    /// <summary>
    /// Publishes the Opened events still owed (after a crash, or when Event Grid was down). Each event's id is the
    /// finding id and its opening count, so a re-delivery is recognisable as the same event. Returns how many went out.
    /// </summary>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken = default)
    {
        if (!events.IsConfigured)
        {
            return 0;
        }

        var published = 0;
        foreach (var pending in await store.ListEventPendingAsync(100, cancellationToken).ConfigureAwait(false))
        {
            var f = pending.Finding;
            var opened = f.LastChange is { State: FindingState.Open } reopen ? reopen.At : f.FirstSeen;
            await events.PublishAsync(new PlatformEvent(
                $"{f.Id}-opened-{opened.UtcTicks}", OpenedEventType, EventSource, $"findings/{f.Id}", opened,
                new FindingOpenedEvent(f.Id, f.Kind, f.Subject, f.Severity, f.Recommendation, f.Magnitude, f.Evidence.Rule, f.ProposedAction?.Type)),
                cancellationToken).ConfigureAwait(false);
            await store.TryClearEventPendingAsync(f.Id, pending.ETag, cancellationToken).ConfigureAwait(false);
            published++;
        }

        return published;
    }
}

/// <summary>The data of a <c>ControlPlane.Finding.Opened</c> event.</summary>
public sealed record FindingOpenedEvent(
    string Id, string Kind, FindingSubject Subject, FindingSeverity Severity, string Recommendation, decimal Magnitude, string Rule, string? ProposedAction);

/// <summary>A person asked for a move the state machine does not allow.</summary>
public sealed class FindingTransitionException(FindingState from, FindingState to)
    : Exception($"A {from.ToString().ToLowerInvariant()} finding cannot be moved to {to.ToString().ToLowerInvariant()}.")
{
    public FindingState From { get; } = from;
    public FindingState To { get; } = to;
}

/// <summary>A finding kept changing under us; the caller may try again.</summary>
public sealed class FindingConflictException(string id) : Exception($"Finding {id} kept changing; try again.")
{
    public string Id { get; } = id;
}
