using System.Security.Cryptography;
using System.Text;
using ControlPlane.Budgets;
using ControlPlane.Pricing;

namespace ControlPlane.Batch;

/// <summary>
/// Accepts deferrable requests (pricing them at batch and real-time rates and reserving the batch ceiling against
/// budgets for as long as the request may wait), and cancels those not yet sent.
/// </summary>
public sealed class BatchRequestService(
    IBatchRequestStore requests,
    IBatchPayloadStore payloads,
    BudgetService budgets,
    PriceCatalog prices,
    TimeProvider time,
    BatchOptions options)
{
    /// <summary>Azure OpenAI is the only provider with a batch path here; prices are looked up under it.</summary>
    public const string Provider = "azure-openai";

    /// <summary>Accepts the request, or says why not: unpriced model, or a budget that cannot afford the ceiling.</summary>
    public async Task<SubmitOutcome> SubmitAsync(BatchSubmission submission, CancellationToken cancellationToken = default)
    {
        // Ids are the team's own: another team's request with this id is neither found nor in the way.
        var team = submission.Attribution.Team;
        if (submission.Id is { } clientId && await requests.GetAsync(clientId, team, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return SameRequest(existing, submission) ? new SubmitOutcome.Accepted(existing, Created: false) : new SubmitOutcome.IdConflict(existing);
        }

        var now = time.GetUtcNow();
        var sheet = await prices.GetSheetAsync(cancellationToken).ConfigureAwait(false);
        var batchContext = new PricingContext(Provider, submission.Attribution.Model, DeploymentTypes.Batch, true, now);
        var batchCeiling = sheet.PriceWorstCase(batchContext, submission.EstimatedInputTokens, submission.WorstCaseOutputTokens);
        var realtimeCeiling = sheet.PriceWorstCase(RealtimeContext(submission.Attribution.Model, now), submission.EstimatedInputTokens, submission.WorstCaseOutputTokens);
        if (!batchCeiling.Priced || !realtimeCeiling.Priced)
        {
            return new SubmitOutcome.Unpriced(submission.Attribution.Model);
        }

        // The batch ceiling is spend from now on: reserve it for as long as the request may wait and run. Only the
        // request's own usage event settles it, and no client can release it apart from the request.
        var generated = "breq_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var key = submission.Id is { } named ? BatchRequest.KeyFor(team, named) : generated;
        var authorization = await budgets.AuthorizeAsync(
            new AuthorizeCall(submission.Attribution, batchContext, submission.EstimatedInputTokens, submission.WorstCaseOutputTokens, options.ReservationLifetime,
                BatchRequest.UsageEventIdFor(key)),
            sheet, cancellationToken).ConfigureAwait(false);
        if (!authorization.Allowed)
        {
            return new SubmitOutcome.Denied(authorization);
        }

        var request = new BatchRequest
        {
            Id = submission.Id ?? generated,
            Key = key,
            Team = team,
            Feature = submission.Attribution.Feature,
            User = submission.Attribution.User,
            App = submission.Attribution.App,
            Environment = submission.Attribution.Environment,
            Model = submission.Attribution.Model,
            Deployment = submission.Deployment,
            MaxOutputTokens = submission.MaxOutputTokens,
            Metadata = submission.Metadata,
            Status = BatchRequestStatus.Pending,
            ReceivedAt = now,
            UpdatedAt = now,
            EstimatedInputTokens = submission.EstimatedInputTokens,
            EstimatedBatchCostUsd = batchCeiling.TotalCost,
            EstimatedRealtimeCostUsd = realtimeCeiling.TotalCost,
            ReservationId = authorization.ReservationId,
            ReservationExpiresAt = authorization.ExpiresAt,
        };

        try
        {
            // Body first: a request row never exists without its body.
            await payloads.SaveRequestBodyAsync(request.Key, Encoding.UTF8.GetBytes(submission.Body.ToJsonString()), cancellationToken).ConfigureAwait(false);
            if (await requests.TryCreateAsync(request, cancellationToken).ConfigureAwait(false))
            {
                return new SubmitOutcome.Accepted(request, Created: true);
            }
        }
        catch
        {
            // Nothing was accepted, so nothing may stay reserved; the caller sees the storage error and retries.
            await ReleaseAsync(request.ReservationId, cancellationToken).ConfigureAwait(false);
            throw;
        }

        // A concurrent retry with the same id won the insert: answer with its request and give our money back.
        await ReleaseAsync(request.ReservationId, cancellationToken).ConfigureAwait(false);
        var winner = await requests.GetAsync(request.Id, team, cancellationToken).ConfigureAwait(false);
        return winner is not null && SameRequest(winner, submission) ? new SubmitOutcome.Accepted(winner, Created: false) : new SubmitOutcome.IdConflict(winner ?? request);
    }

    /// <summary>Cancels a pending request and returns its reservation. A cancelled one stays cancelled (idempotent).</summary>
    public async Task<CancelOutcome> CancelAsync(string id, string team, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var request = await requests.GetAsync(id, team, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return new CancelOutcome(CancelResult.NotFound, null);
            }

            switch (request.Status)
            {
                case BatchRequestStatus.Cancelled:
                    return new CancelOutcome(CancelResult.Cancelled, request);
                case BatchRequestStatus.Queued or BatchRequestStatus.Submitted:
                    return new CancelOutcome(CancelResult.AlreadySubmitted, request);
                case BatchRequestStatus.Completed or BatchRequestStatus.Failed:
                    return new CancelOutcome(CancelResult.AlreadyFinished, request);
            }

            // Conditional on the version read: if tonight's run claims it first, this write fails and we look again.
            var cancelled = await requests.TryReplaceAsync(request, request with { Status = BatchRequestStatus.Cancelled, UpdatedAt = time.GetUtcNow() }, cancellationToken).ConfigureAwait(false);
            if (cancelled is not null)
            {
                await ReleaseAsync(request.ReservationId, cancellationToken).ConfigureAwait(false);
                return new CancelOutcome(CancelResult.Cancelled, cancelled);
            }
        }
    }

    /// <summary>
    /// Deletes finished requests older than <see cref="BatchOptions.Retention"/> (blobs first, so no row ever points at
    /// nothing for longer than a moment, and a stopped sweep is finished by the next) and old input files.
    /// </summary>
    public async Task<(int Requests, int RunFiles)> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow() - options.Retention;
        var deleted = 0;
        while (true)
        {
            var finished = await requests.ListFinishedBeforeAsync(cutoff, 500, cancellationToken).ConfigureAwait(false);
            var round = 0;
            foreach (var request in finished)
            {
                await payloads.DeleteRequestAsync(request.Key, cancellationToken).ConfigureAwait(false);
                round += await requests.TryDeleteAsync(request, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }

            deleted += round;
            if (finished.Count < 500 || round == 0)
            {
                break;
            }
        }

        return (deleted, await payloads.DeleteRunFilesBeforeAsync(cutoff, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The context real-time calls of this model are priced in: the same model, no batch discount.</summary>
    public static PricingContext RealtimeContext(string model, DateTimeOffset at) => new(Provider, model, null, false, at);

    private async Task ReleaseAsync(string? reservationId, CancellationToken cancellationToken)
    {
        if (reservationId is not null)
        {
            await budgets.ReleaseAsync(reservationId, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool SameRequest(BatchRequest existing, BatchSubmission submission) =>
        existing.Team == submission.Attribution.Team && existing.Feature == submission.Attribution.Feature &&
        existing.Model == submission.Attribution.Model && existing.Deployment == submission.Deployment &&
        existing.MaxOutputTokens == submission.MaxOutputTokens;
}

/// <summary>What became of a submission.</summary>
public abstract record SubmitOutcome
{
    /// <summary>Accepted now (<paramref name="Created"/>), or earlier under the same id.</summary>
    public sealed record Accepted(BatchRequest Request, bool Created) : SubmitOutcome;

    /// <summary>A hard budget (or a kill switch, an isolation) refused the ceiling.</summary>
    public sealed record Denied(AuthorizeResult Authorization) : SubmitOutcome;

    /// <summary>The price sheet has no (batch) price for the model, so neither the ceiling nor the saving is known.</summary>
    public sealed record Unpriced(string Model) : SubmitOutcome;

    /// <summary>The id is taken by a different request of the same team.</summary>
    public sealed record IdConflict(BatchRequest Existing) : SubmitOutcome;
}

public enum CancelResult
{
    Cancelled,
    NotFound,
    AlreadySubmitted,
    AlreadyFinished,
}

public sealed record CancelOutcome(CancelResult Result, BatchRequest? Request);
