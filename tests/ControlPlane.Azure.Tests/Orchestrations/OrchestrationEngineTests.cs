using ControlPlane.Azure.Orchestrations;
using ControlPlane.Orchestrations;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Tests.Orchestrations;

/// <summary>
/// The engine's guarantees every orchestration relies on, with a scripted orchestration on the real Table store:
/// stale and duplicate messages do nothing, a claimed step is not run twice at once, failures back off and end in
/// a failed run, waiting runs wake when due.
/// </summary>
public sealed class OrchestrationEngineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly TableOrchestrationStore _store = new(new TestStorage().Tables);
    private readonly Outbox _sent = new();
    private readonly Scripted _orchestration = new();
    private readonly OrchestrationEngine _engine;

    public OrchestrationEngineTests() =>
        _engine = new OrchestrationEngine(_store, _sent, [_orchestration], _clock, new OrchestrationOptions { MaxStepAttempts = 3 });

    /// <summary>Keeps what the engine sends, as the queue would.</summary>
    private sealed class Outbox : IOrchestrationDispatcher
    {
        public List<OrchestrationWorkItem> Items { get; } = [];

        public Task SendAsync(OrchestrationWorkItem item, CancellationToken cancellationToken = default)
        {
            Items.Add(item);
            return Task.CompletedTask;
        }
    }

    /// <summary>Two steps, "a" then "b"; each run of a step is counted, and a step can be told to throw or to wait.</summary>
    private sealed class Scripted : IOrchestration
    {
        public string Kind => "scripted";
        public string FirstStep => "a";
        public Dictionary<string, int> Runs { get; } = [];
        public Func<StepContext, StepOutcome?>? Override { get; set; }

        public string InitialState(string? input) => input ?? "{}";

        public Task<StepOutcome> RunStepAsync(StepContext context, CancellationToken cancellationToken)
        {
            Runs[context.Step] = Runs.GetValueOrDefault(context.Step) + 1;
            var outcome = Override?.Invoke(context) ?? (context.Step == "a"
                ? new StepOutcome.Proceed("b", """{"a":true}""")
                : new StepOutcome.Complete(context.State, """{"done":true}"""));
            return Task.FromResult(outcome);
        }
    }

    [Fact]
    public async Task Advance_RunsEachStepOnceAndDropsDuplicatesOfDeliveredMessages()
    {
        var started = await _engine.StartAsync("scripted", "run-1", null, "test");
        var first = _sent.Items[0];

        var a = await _engine.AdvanceAsync(first);
        var duplicateOfFirst = await _engine.AdvanceAsync(first);
        var b = await _engine.AdvanceAsync(_sent.Items[1]);
        var late = await _engine.AdvanceAsync(_sent.Items[1]);

        Assert.True(started.Created);
        Assert.Equal(("next", "stale_message"), (a.Outcome, duplicateOfFirst.Outcome));
        Assert.Equal(("completed", "stale_message"), (b.Outcome, late.Outcome));
        Assert.Equal(1, _orchestration.Runs["a"]);
        Assert.Equal(1, _orchestration.Runs["b"]);
        var done = await _store.GetAsync("run-1");
        Assert.Equal(OrchestrationStatus.Completed, done!.Status);
        Assert.Equal("""{"done":true}""", done.Output);
        Assert.Equal(["started", "next", "completed"], (await _store.GetHistoryAsync("run-1")).Select(h => h.Outcome));
    }

    [Fact]
    public async Task Advance_StepClaimedByAnotherWorker_IsLeftAloneUntilTheClaimLapses()
    {
        await _engine.StartAsync("scripted", "run-2", null, "test");
        var instance = (await _store.GetAsync("run-2"))!;
        // Another worker claimed the step and is still on it (or died holding it).
        await _store.TryReplaceAsync(instance, instance with { LeaseUntil = Now.AddMinutes(10), WakeAt = Now.AddMinutes(10) }, null);

        var whileHeld = await _engine.AdvanceAsync(_sent.Items[0]);
        var wokenEarly = await _engine.WakeDueAsync();
        _clock.Advance(TimeSpan.FromMinutes(10));
        var woken = await _engine.WakeDueAsync();
        var afterLapse = await _engine.AdvanceAsync(_sent.Items[^1]);

        Assert.Equal("claimed", whileHeld.Outcome);
        Assert.Equal((0, 1), (wokenEarly, woken));
        Assert.True(afterLapse.Ran);
        Assert.Equal(1, _orchestration.Runs["a"]);
    }

    [Fact]
    public async Task Advance_StepKeepsFailing_BacksOffDoublingThenFailsTheRunWithTheLastError()
    {
        _orchestration.Override = c => throw new TransientStepException("provider_unavailable", $"down (attempt {c.Attempt})");
        await _engine.StartAsync("scripted", "run-3", null, "test");

        var first = await _engine.AdvanceAsync(_sent.Items[0]);
        var notDue = await _engine.AdvanceAsync(new OrchestrationWorkItem("run-3", first.Instance!.Sequence));
        _clock.Advance(TimeSpan.FromSeconds(30));
        await _engine.WakeDueAsync();
        var second = await _engine.AdvanceAsync(_sent.Items[^1]);
        _clock.Advance(TimeSpan.FromSeconds(60));
        await _engine.WakeDueAsync();
        var third = await _engine.AdvanceAsync(_sent.Items[^1]);

        Assert.Equal(("retry", OrchestrationStatus.Waiting, Now.AddSeconds(30)), (first.Outcome, first.Instance.Status, first.Instance.WakeAt));
        Assert.Equal("not_due", notDue.Outcome);
        Assert.Equal(Now.AddSeconds(30 + 60), second.Instance!.WakeAt);
        Assert.Equal(("failed", OrchestrationStatus.Failed), (third.Outcome, third.Instance!.Status));
        Assert.Equal(new OrchestrationError("provider_unavailable", "down (attempt 2)"), third.Instance.LastError);
        Assert.Equal(3, _orchestration.Runs["a"]);
    }

    [Fact]
    public async Task WaitUntil_RunSleepsAndTheWakeUpSendsItWhenDue()
    {
        _orchestration.Override = c => c.Step == "a" ? new StepOutcome.WaitUntil("b", c.Now.AddMinutes(5), c.State) : null;
        await _engine.StartAsync("scripted", "run-4", null, "test");
        await _engine.AdvanceAsync(_sent.Items[0]);
        var sentBefore = _sent.Items.Count;

        _clock.Advance(TimeSpan.FromMinutes(4));
        var early = await _engine.WakeDueAsync();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var due = await _engine.WakeDueAsync();
        var b = await _engine.AdvanceAsync(_sent.Items[^1]);

        Assert.Equal(sentBefore, _sent.Items.Count - 1);
        Assert.Equal((0, 1), (early, due));
        Assert.Equal("completed", b.Outcome);
    }

    [Fact]
    public async Task Terminate_WhileAStepRuns_TheStepsCheckpointIsDropped()
    {
        _orchestration.Override = c =>
        {
            // An admin terminates the run while this step is in flight.
            _engine.TerminateAsync("run-5", "stop", "admin").GetAwaiter().GetResult();
            return null;
        };
        await _engine.StartAsync("scripted", "run-5", null, "test");

        var result = await _engine.AdvanceAsync(_sent.Items[0]);

        Assert.Equal("lost_claim", result.Outcome);
        Assert.Equal(OrchestrationStatus.Terminated, (await _store.GetAsync("run-5"))!.Status);
        Assert.Single(_sent.Items);
    }

    [Fact]
    public async Task Advance_StepReturnsStateTooLargeToStore_FailsTheRunInsteadOfLooping()
    {
        _orchestration.Override = c => new StepOutcome.Proceed("b", $$"""{"blob":"{{new string('x', 40_000)}}"}""");
        await _engine.StartAsync("scripted", "run-6", null, "test");

        var result = await _engine.AdvanceAsync(_sent.Items[0]);

        var run = (await _store.GetAsync("run-6"))!;
        Assert.Equal((OrchestrationStatus.Failed, "state_too_large"), (run.Status, run.LastError!.Code));
        Assert.Equal("{}", run.State);
        Assert.Equal("failed", result.Outcome);
    }

    [Fact]
    public async Task Start_UnknownKind_Throws()
    {
        await Assert.ThrowsAsync<UnknownOrchestrationKindException>(() => _engine.StartAsync("nope", null, null, "test"));
    }
}
