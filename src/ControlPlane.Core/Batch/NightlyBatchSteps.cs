using System.Globalization;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Usage;

namespace ControlPlane.Batch;

/// <summary>
/// The nightly batch run's steps, each an activity of the Durable orchestration that sequences them:
/// <c>collect</c> pending requests and write one JSONL file per deployment; <c>submit</c> uploads each and creates its
/// batch; <c>poll</c> until every batch is finished; <c>settle</c> maps every line back to its request, records usage
/// at the batch price from the provider's real usage (settling the request's reservation), and retries or fails the
/// rest; <c>report</c> publishes <c>ControlPlane.Batch.Completed</c>.
/// <para>
/// An activity may run more than once (a host that dies after its side effects, before Durable records its result),
/// so every step can be replayed. Files are named after the run and the group, and looked up before uploading; batches
/// are looked up by their input file before creating; usage events have deterministic ids; request updates are
/// conditional on the state they leave. So a crash anywhere creates no second batch and charges nothing twice.
/// </para>
/// </summary>
public sealed class NightlyBatchSteps(
    IBatchRequestStore requests,
    IBatchPayloadStore payloads,
    IBatchGateway gateway,
    UsageIngestService usage,
    UsageEventValidator validator,
    PriceCatalog prices,
    BudgetService budgets,
    IEventPublisher events,
    TimeProvider time,
    BatchOptions options)
{
    public const string KindName = "nightly-batch";
    public const string CompletedEventType = "ControlPlane.Batch.Completed";
    public const string EventSource = "/controlplane/batch";
    private const int IngestChunk = 1000;
    private const string ProcessedFile = "processed";

    /// <summary>The run id for a scheduled start: one run per scheduled minute, however often the timer fires.</summary>
    public static string RunIdFor(DateTimeOffset scheduledAt) => $"{KindName}-{scheduledAt.UtcDateTime:yyyyMMdd'T'HHmm}";

    /// <summary>Azure OpenAI's batch completion window: a request sent tonight may run and settle until then.</summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromHours(24);

    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);

    /// <summary>The state run <paramref name="runId"/> saved after its last finished step; null for a run that never collected.</summary>
    public async Task<NightlyBatchState?> ResumeAsync(string runId, CancellationToken cancellationToken) =>
        await payloads.GetRunStateAsync(runId, cancellationToken).ConfigureAwait(false) is { } saved
            ? JsonSerializer.Deserialize<NightlyBatchState>(saved.Span, StateJson)
            : null;

    private async Task<NightlyBatchState> SaveAsync(string runId, NightlyBatchState state, CancellationToken cancellationToken)
    {
        await payloads.SaveRunStateAsync(runId, JsonSerializer.SerializeToUtf8Bytes(state, StateJson), cancellationToken).ConfigureAwait(false);
        return state;
    }

    /// <summary>Claims the pending requests for run <paramref name="runId"/> and writes their input files; no groups when there is nothing to send.</summary>
    public async Task<NightlyBatchState> CollectAsync(string runId, CancellationToken cancellationToken)
    {
        var state = new NightlyBatchState();
        var now = time.GetUtcNow();
        var claimable = await HoldBackKilledAsync(runId, state,
            await requests.ListClaimableAsync(runId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var claims = new BatchRequest?[claimable.Count];
        await ForEachAsync(Enumerable.Range(0, claimable.Count), async (i, ct) =>
        {
            var request = claimable[i];
            claims[i] = request.Status == BatchRequestStatus.Queued && request.RunId == runId
                ? request
                // Conditional: a request cancelled a moment ago stays cancelled and is left out.
                : await requests.TryReplaceAsync(request, request with
                {
                    Status = BatchRequestStatus.Queued, RunId = runId, BatchId = null, UpdatedAt = now,
                }, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        var claimed = claims.OfType<BatchRequest>().OrderBy(r => r.Id, StringComparer.Ordinal).ThenBy(r => r.Team, StringComparer.Ordinal).ToList();

        if (claimed.Count == 0)
        {
            return state;
        }

        var bodies = new ReadOnlyMemory<byte>[claimed.Count];
        await ForEachAsync(Enumerable.Range(0, claimed.Count), async (i, ct) =>
            bodies[i] = await payloads.GetRequestBodyAsync(claimed[i].Key, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Batch request {claimed[i].Id} has no stored body."), cancellationToken).ConfigureAwait(false);
        var bodyOf = claimed.Select((r, i) => (r.Key, Body: bodies[i])).ToDictionary(p => p.Key, p => p.Body, StringComparer.Ordinal);

        state.Groups.Clear();
        foreach (var byDeployment in claimed.GroupBy(r => r.Deployment, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            using var file = new MemoryStream();
            var lines = 0;
            foreach (var request in byDeployment)
            {
                var line = BatchJsonl.InputLine(request.Key, bodyOf[request.Key].Span);
                if (lines > 0 && (lines >= options.MaxRequestsPerFile || file.Length + line.Length > options.MaxFileBytes))
                {
                    await AddGroupAsync(runId, state, byDeployment.Key, file, lines, cancellationToken).ConfigureAwait(false);
                    file.SetLength(0);
                    lines = 0;
                }

                file.Write(line);
                lines++;
            }

            await AddGroupAsync(runId, state, byDeployment.Key, file, lines, cancellationToken).ConfigureAwait(false);
        }

        state.Detail = $"{claimed.Count} requests in {state.Groups.Count} files" + (state.HeldBack > 0 ? $"; {state.HeldBack} held back by kill switches" : string.Empty);
        return await SaveAsync(runId, state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Leaves pending the requests of scopes whose kill switch is tripped or that an admin isolated: a kill switch
    /// stops spend, deferred spend included. They run on the first night after the switch is reset (or the limit raised).
    /// </summary>
    private async Task<IReadOnlyList<BatchRequest>> HoldBackKilledAsync(string runId, NightlyBatchState state, IReadOnlyList<BatchRequest> claimable, CancellationToken cancellationToken)
    {
        var blocked = new Dictionary<CallAttribution, bool>();
        var kept = new List<BatchRequest>(claimable.Count);
        state.HeldBack = 0;
        foreach (var request in claimable)
        {
            if (request.Status == BatchRequestStatus.Queued && request.RunId == runId)
            {
                kept.Add(request);
                continue;
            }

            // Never send a request without money held for it until its batch window has closed.
            if (!await budgets.IsLiveUntilAsync(request.ReservationId, time.GetUtcNow() + BatchWindow, cancellationToken).ConfigureAwait(false))
            {
                await FailWithoutReservationAsync(request, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var attribution = new CallAttribution(request.Team, request.Feature, request.User, request.Environment, request.Model, request.App);
            if (!blocked.TryGetValue(attribution, out var isBlocked))
            {
                blocked[attribution] = isBlocked = (await budgets.BlockedByAsync(attribution, cancellationToken).ConfigureAwait(false)).Count > 0;
            }

            if (isBlocked)
            {
                state.HeldBack++;
            }
            else
            {
                kept.Add(request);
            }
        }

        return kept;
    }

    /// <summary>A pending request whose reservation expired or is gone fails with nothing charged; its client may submit it again.</summary>
    private async Task FailWithoutReservationAsync(BatchRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await requests.TryReplaceAsync(request, request with
        {
            Status = BatchRequestStatus.Failed,
            LastError = new BatchRequestError(BatchErrors.ReservationNotLive,
                "The request's reservation would not outlive tonight's batch window (it expired or was released); it was not sent and nothing was charged. Submit it again."),
            UpdatedAt = now,
            CompletedAt = now,
        }, cancellationToken).ConfigureAwait(false);
        if (request.ReservationId is not null)
        {
            await budgets.ReleaseAsync(request.ReservationId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AddGroupAsync(string runId, NightlyBatchState state, string deployment, MemoryStream file, int lines, CancellationToken cancellationToken)
    {
        var group = new BatchGroup { Index = state.Groups.Count, Deployment = deployment, Requests = lines, Bytes = file.Length };
        await payloads.SaveInputFileAsync(runId, group.Index, file.ToArray(), cancellationToken).ConfigureAwait(false);
        state.Groups.Add(group);
    }

    /// <summary>
    /// Uploads each group's file and creates its batch. <see cref="NightlyBatchState.FilesProcessing"/> counts files the
    /// service is still processing: submit again after <see cref="BatchOptions.FileCheckInterval"/>.
    /// </summary>
    public async Task<NightlyBatchState> SubmitAsync(string runId, NightlyBatchState state, CancellationToken cancellationToken)
    {
        var queued = (await requests.ListByRunAsync(runId, cancellationToken).ConfigureAwait(false))
            .Where(r => r.Status == BatchRequestStatus.Queued).ToList();
        var processing = 0;
        foreach (var group in state.Groups.Where(g => g.BatchId is null && g.Error is null))
        {
            // Read once: uploaded if the service has no copy yet, then the list of requests to mark submitted.
            ReadOnlyMemory<byte>? input = null;
            try
            {
                if (group.FileStatus != ProcessedFile)
                {
                    // A replay (or a later look) finds the file an earlier attempt uploaded instead of uploading a second one.
                    var fileName = $"{runId}-{group.Index}.jsonl";
                    var file = await gateway.FindInputFileAsync(fileName, cancellationToken).ConfigureAwait(false);
                    if (file is null)
                    {
                        input = await InputFileAsync(runId, group, cancellationToken).ConfigureAwait(false);
                        file = await gateway.UploadInputFileAsync(fileName, input.Value, cancellationToken).ConfigureAwait(false);
                    }

                    group.InputFileId = file.Id;
                    group.FileStatus = file.Status;
                    if (file.Status is "error" or "deleting" or "deleted")
                    {
                        group.Error = new BatchRequestError(BatchErrors.UploadRefused, $"The service could not process input file {file.Id} ({file.Status}).");
                        continue;
                    }

                    if (file.Status != ProcessedFile)
                    {
                        // Azure refuses a batch over a file it has not finished processing; look again shortly.
                        processing++;
                        continue;
                    }
                }

                // Likewise the batch: one per input file, ever.
                var job = await gateway.FindBatchByInputFileAsync(group.InputFileId!, cancellationToken).ConfigureAwait(false)
                    ?? await gateway.CreateBatchAsync(group.InputFileId!, cancellationToken).ConfigureAwait(false);
                Apply(group, job);
            }
            catch (BatchGatewayException ex) when (ex.StatusCode is 400 or 413 or 415 or 422)
            {
                // The service refused this file: its requests fail this night (and retry the next). Anything else
                // (401, 403, 404: wrong key, role or endpoint) is not the requests' fault; it fails the step, and
                // the run once retries run out, keeping the requests for an admin's retry.
                group.Error = new BatchRequestError(ex.ErrorCode ?? BatchErrors.UploadRefused, ex.Message);
                continue;
            }

            var now = time.GetUtcNow();
            var inGroup = BatchJsonl.CustomIds(input ?? await InputFileAsync(runId, group, cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            await ForEachAsync(queued.Where(r => inGroup.Contains(r.Key)), async (request, ct) =>
                await requests.TryReplaceAsync(request, request with { Status = BatchRequestStatus.Submitted, BatchId = group.BatchId, UpdatedAt = now }, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }

        state.Detail = string.Join(", ", state.Groups.Select(g => g.BatchId ?? (g.Error is { } e ? $"{g.Deployment}: {e.Code}" : $"{g.InputFileId} {g.FileStatus}")));
        state.FilesProcessing = processing;
        return await SaveAsync(runId, state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Looks at every unfinished batch once; <see cref="NightlyBatchState.BatchesRunning"/> says how many are still running.</summary>
    public async Task<NightlyBatchState> PollAsync(string runId, NightlyBatchState state, CancellationToken cancellationToken)
    {
        static bool Running(BatchGroup g) => g.BatchId is not null && !new BatchJobStatus(g.Status ?? string.Empty).IsTerminal;
        foreach (var group in state.Groups.Where(Running))
        {
            Apply(group, await gateway.GetBatchAsync(group.BatchId!, cancellationToken).ConfigureAwait(false));
        }

        state.BatchesRunning = state.Groups.Count(Running);
        state.Detail = string.Join(", ", state.Groups.Where(g => g.BatchId is not null).Select(g => $"{g.BatchId} {g.Status}"));
        return await SaveAsync(runId, state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records every answered request's usage at the batch price and fails or re-queues the rest.</summary>
    public async Task<NightlyBatchState> SettleAsync(string runId, NightlyBatchState state, CancellationToken cancellationToken)
    {
        var sheet = await prices.GetSheetAsync(cancellationToken).ConfigureAwait(false);
        var held = (await requests.ListByRunAsync(runId, cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Key, StringComparer.Ordinal);
        foreach (var group in state.Groups.Where(g => !g.Settled))
        {
            var ids = BatchJsonl.CustomIds(await InputFileAsync(runId, group, cancellationToken).ConfigureAwait(false));
            var outputs = await ResultsAsync(group.OutputFileId, cancellationToken).ConfigureAwait(false);
            var errors = await ResultsAsync(group.ErrorFileId, cancellationToken).ConfigureAwait(false);
            group.Completed = group.Failed = group.Retrying = 0;
            group.CostUsd = group.RealtimeCostUsd = 0;
            group.InputTokens = group.OutputTokens = 0;

            var pending = new System.Collections.Concurrent.ConcurrentBag<(BatchRequest Request, UsageEvent Event)>();
            var settled = new System.Collections.Concurrent.ConcurrentBag<BatchRequest>();
            await ForEachAsync(ids, async (id, ct) =>
            {
                if (!held.TryGetValue(id, out var request))
                {
                    return;
                }

                if (request.Status is not (BatchRequestStatus.Queued or BatchRequestStatus.Submitted))
                {
                    // Settled by an earlier attempt of this step: count it, change nothing.
                    settled.Add(request);
                }
                else if (outputs.TryGetValue(id, out var line) && line.Succeeded && line.Usage() is not null)
                {
                    pending.Add((request, await ResultEventAsync(request, line, ct).ConfigureAwait(false)));
                }
                else
                {
                    settled.Add(await FailAsync(request, group, errors.GetValueOrDefault(id) ?? outputs.GetValueOrDefault(id), ct).ConfigureAwait(false));
                }
            }, cancellationToken).ConfigureAwait(false);

            foreach (var chunk in pending.OrderBy(p => p.Request.Key, StringComparer.Ordinal).Chunk(IngestChunk))
            {
                // Usage first, with the request's reservation: it settles at the real batch cost. A replay finds the
                // same event ids already recorded and gets back the cost first charged.
                var result = await usage.RecordAsync([.. chunk.Select(p => p.Event)], cancellationToken).ConfigureAwait(false);
                var costs = result.Events.ToDictionary(e => e.Id, e => e.CostUsd, StringComparer.Ordinal);
                await ForEachAsync(chunk, async (p, ct) =>
                {
                    var (request, recorded) = p;
                    var realtime = sheet.Price(BatchRequestService.RealtimeContext(request.Model, recorded.Timestamp), recorded.Tokens).TotalCost;
                    var completed = request with
                    {
                        Status = BatchRequestStatus.Completed,
                        Attempts = request.Attempts + 1,
                        CompletedAt = recorded.Timestamp,
                        CostUsd = costs[recorded.Id],
                        RealtimeCostUsd = realtime,
                        Tokens = recorded.Tokens,
                        UsageEventId = recorded.Id,
                        UpdatedAt = time.GetUtcNow(),
                    };
                    settled.Add(await requests.TryReplaceAsync(request, completed, ct).ConfigureAwait(false) ?? completed);
                }, cancellationToken).ConfigureAwait(false);
            }

            foreach (var request in settled)
            {
                Tally(group, request);
            }

            group.Settled = true;
        }

        state.Detail = $"{state.Groups.Sum(g => g.Completed)} completed, {state.Groups.Sum(g => g.Retrying)} retrying, {state.Groups.Sum(g => g.Failed)} failed";
        return await SaveAsync(runId, state, cancellationToken).ConfigureAwait(false);
    }

    private async Task<UsageEvent> ResultEventAsync(BatchRequest request, BatchResultLine line, CancellationToken cancellationToken)
    {
        await payloads.SaveResultAsync(request.Key, JsonSerializer.SerializeToUtf8Bytes(line.Body!.Value), cancellationToken).ConfigureAwait(false);
        var (prompt, cached, completion, reasoning) = line.Usage()!.Value;
        var sheet = await prices.GetSheetAsync(cancellationToken).ConfigureAwait(false);
        var validated = validator.ValidateSingle(new UsageEventRequest
        {
            Id = BatchRequest.UsageEventIdFor(request.Key),
            Timestamp = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            Team = request.Team,
            Feature = request.Feature,
            User = request.User,
            App = request.App,
            Environment = request.Environment,
            Provider = BatchRequestService.Provider,
            Model = request.Model,
            Deployment = request.Deployment,
            DeploymentType = DeploymentTypes.Batch,
            Batch = true,
            InputTokens = prompt,
            CachedInputTokens = cached,
            OutputTokens = completion,
            ReasoningTokens = reasoning,
            ReservationId = request.ReservationId,
            Status = "batch",
            Tags = request.Metadata is null ? null : new Dictionary<string, string>(request.Metadata.Take(UsageEventValidator.MaxTags), StringComparer.Ordinal),
        }, sheet, time.GetUtcNow());
        return validated.IsValid
            ? validated.Value!
            : throw new InvalidOperationException($"The provider's usage for {request.Id} does not validate: {string.Join("; ", validated.Errors.Select(e => e.Message))}");
    }

    private async Task<BatchRequest> FailAsync(BatchRequest request, BatchGroup group, BatchResultLine? line, CancellationToken cancellationToken)
    {
        var error = line?.Error ?? group.Error ?? GroupFailure(group);
        var attempts = request.Attempts + 1;
        // A request the provider refused as invalid fails at once; anything else (expired, cancelled, 5xx) gets another night.
        var final = attempts >= options.MaxAttempts || line is { IsRetryable: false };
        var now = time.GetUtcNow();
        if (final)
        {
            // Money first: should we crash before the request is marked, the replay releases again (a no-op) and marks it.
            if (request.ReservationId is not null)
            {
                await budgets.ReleaseAsync(request.ReservationId, cancellationToken).ConfigureAwait(false);
            }

            var failed = request with { Status = BatchRequestStatus.Failed, Attempts = attempts, LastError = error, UpdatedAt = now, CompletedAt = now };
            return await requests.TryReplaceAsync(request, failed, cancellationToken).ConfigureAwait(false) ?? failed;
        }

        // Back to pending for the next night, still holding its reservation; RunId stays so this run can count it.
        var retry = request with { Status = BatchRequestStatus.Pending, Attempts = attempts, LastError = error, BatchId = null, UpdatedAt = now };
        return await requests.TryReplaceAsync(request, retry, cancellationToken).ConfigureAwait(false) ?? retry;
    }

    private static BatchRequestError GroupFailure(BatchGroup group) => group.Status switch
    {
        "expired" => new(BatchErrors.BatchExpired, $"Batch {group.BatchId} expired before this request ran."),
        "cancelled" => new(BatchErrors.BatchCancelled, $"Batch {group.BatchId} was cancelled before this request ran."),
        "failed" => new(BatchErrors.BatchFailed, $"Batch {group.BatchId} failed."),
        _ => new(BatchErrors.ResultMissing, $"Batch {group.BatchId} ({group.Status}) returned no line for this request."),
    };

    private static void Tally(BatchGroup group, BatchRequest request)
    {
        switch (request.Status)
        {
            case BatchRequestStatus.Completed:
                group.Completed++;
                group.CostUsd += request.CostUsd ?? 0;
                group.RealtimeCostUsd += request.RealtimeCostUsd ?? 0;
                group.InputTokens += request.Tokens?.InputTokens ?? 0;
                group.OutputTokens += request.Tokens?.OutputTokens ?? 0;
                break;
            case BatchRequestStatus.Failed:
                group.Failed++;
                break;
            case BatchRequestStatus.Pending:
                group.Retrying++;
                break;
        }
    }

    /// <summary>Publishes the run's summary; it is also the orchestration's output.</summary>
    public async Task<BatchRunSummary> ReportAsync(string runId, NightlyBatchState state, CancellationToken cancellationToken)
    {
        var summary = Summarize(runId, state);

        // At least once, with the run id as the event id: subscribers recognise a re-delivery after a crash.
        await events.PublishAsync(new PlatformEvent(runId, CompletedEventType, EventSource, $"batch/runs/{runId}", time.GetUtcNow(), summary), cancellationToken).ConfigureAwait(false);
        return summary;
    }

    public static BatchRunSummary Summarize(string runId, NightlyBatchState state)
    {
        var cost = state.Groups.Sum(g => g.CostUsd);
        var realtime = state.Groups.Sum(g => g.RealtimeCostUsd);
        return new BatchRunSummary(
            runId,
            state.Groups.Sum(g => g.Requests),
            state.Groups.Sum(g => g.Completed),
            state.Groups.Sum(g => g.Failed),
            state.Groups.Sum(g => g.Retrying),
            cost,
            realtime,
            realtime - cost,
            state.Groups.Sum(g => g.InputTokens),
            state.Groups.Sum(g => g.OutputTokens),
            state.HeldBack,
            [.. state.Groups.Select(g => new BatchRunBatch(g.Deployment, g.BatchId, g.Status, g.Requests, g.Completed, g.Failed, g.Retrying, g.Error))]);
    }

    private static void Apply(BatchGroup group, BatchJob job)
    {
        group.BatchId = job.Id;
        group.Status = job.Status.Value;
        group.OutputFileId = job.OutputFileId;
        group.ErrorFileId = job.ErrorFileId;
        if (job.Status == BatchJobStatus.Failed && job.Errors.Count > 0)
        {
            group.Error = new BatchRequestError(job.Errors[0].Code, string.Join("; ", job.Errors.Take(5).Select(e => e.Line is { } l ? $"line {l}: {e.Message}" : e.Message)));
        }
    }

    private async Task<ReadOnlyMemory<byte>> InputFileAsync(string runId, BatchGroup group, CancellationToken cancellationToken) =>
        await payloads.GetInputFileAsync(runId, group.Index, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Input file {group.Index} of run {runId} is missing from blob storage.");

    private async Task<IReadOnlyDictionary<string, BatchResultLine>> ResultsAsync(string? fileId, CancellationToken cancellationToken) =>
        fileId is null ? new Dictionary<string, BatchResultLine>() : BatchJsonl.Results(await gateway.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false));

    /// <summary>Per-request storage calls, <see cref="BatchOptions.Parallelism"/> at a time: each request is its own partition.</summary>
    private Task ForEachAsync<T>(IEnumerable<T> items, Func<T, CancellationToken, ValueTask> body, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, body);
}
