using ControlPlane.Usage;
using static ControlPlane.Audits.History;

namespace ControlPlane.Audits;

public sealed class DesignEstimateRulesTests
{
    private static readonly AnomalyScanOptions Options = new();
    private static readonly DateTimeOffset WindowStart = End.AddHours(-2);

    private static FeatureUsageHistory Day(long calls, long tokens) => Of([Row(End.AddHours(9), "u", 1m, requests: calls, tokens: tokens)]);

    [Fact]
    public void TokensPerCall_ThreeTimesTheEstimate_IsAFinding()
    {
        var result = TokensPerCallRule.Evaluate(Day(20, 60_000), Profile(tokensPerCall: 1000), End, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        var evidence = result.Candidate!.Evidence;
        Assert.Equal((3000m, 1000m), (evidence.Observed["tokensPerCall"], evidence.Baseline!["tokensPerCall"]));
        Assert.Contains("design estimate", evidence.BaselineDescription);
        Assert.Equal(FindingKinds.TokensPerCall, result.Candidate.Kind);
    }

    [Fact]
    public void TokensPerCall_JustUnderThreeTimes_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, TokensPerCallRule.Evaluate(Day(20, 59_999), Profile(tokensPerCall: 1000), End, Options).Status);
    }

    [Fact]
    public void TokensPerCall_TooFewCalls_SaysNotEnoughHistory()
    {
        Assert.Equal(RuleStatus.NotEnoughHistory, TokensPerCallRule.Evaluate(Day(19, 1_000_000), Profile(tokensPerCall: 1000), End, Options).Status);
    }

    [Fact]
    public void TokensPerCall_NoEstimate_IsNotApplicable()
    {
        Assert.Equal(RuleStatus.NotApplicable, TokensPerCallRule.Evaluate(Day(20, 1_000_000), Profile(), End, Options).Status);
    }

    private static SessionUsage Session(long calls, string? user = "ana", params (string Hash, long Count)[] hashes) => new()
    {
        Hour = End, Team = "docs", Feature = "summarize", Session = "run-7", User = user, Calls = calls, InputTokens = calls * 1000, CostUsd = calls * 0.01m,
        RequestHashes = hashes.ToDictionary(h => h.Hash, h => h.Count, StringComparer.Ordinal),
    };

    [Fact]
    public void CallsPerSession_ThreeTimesTheEstimate_IsAFindingOnTheSession()
    {
        var result = SessionRules.EvaluateCallsPerSession(Session(15), Profile(callsPerSession: 5), WindowStart, End, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        Assert.Equal(new FindingSubject(SubjectTypes.Session, "run-7", "docs"), result.Candidate!.Subject);
        Assert.Equal((15m, 5m), (result.Candidate.Evidence.Observed["calls"], result.Candidate.Evidence.Baseline!["calls"]));
    }

    [Fact]
    public void CallsPerSession_JustUnder_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, SessionRules.EvaluateCallsPerSession(Session(14), Profile(callsPerSession: 5), WindowStart, End, Options).Status);
    }

    [Fact]
    public void CallsPerSession_NoEstimate_IsNotApplicable()
    {
        Assert.Equal(RuleStatus.NotApplicable, SessionRules.EvaluateCallsPerSession(Session(1000), Profile(), WindowStart, End, Options).Status);
    }

    [Fact]
    public void AgentLoop_SameRequestTenTimes_IsALoopKeyedByTheHash()
    {
        var result = SessionRules.EvaluateAgentLoop(Session(12, hashes: [("sha256:aaaa1111", 10), ("sha256:bbbb2222", 2)]), WindowStart, End, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        var finding = result.Candidate!;
        Assert.Equal(("sha256:aaaa1111", 10m, 10m), (finding.Discriminator, finding.Evidence.Observed["repeats"], finding.Evidence.Baseline!["repeats"]));
        Assert.Equal((WindowStart, End), (finding.Evidence.WindowStart, finding.Evidence.WindowEnd));
        Assert.Equal(ProposedActionTypes.IsolateScope, finding.ProposedAction!.Type);
        var scope = finding.ProposedAction.Parameters.GetProperty("scope");
        Assert.Equal(("user", "ana"), (scope.GetProperty("type").GetString(), scope.GetProperty("value").GetString()));
    }

    [Fact]
    public void AgentLoop_NineRepeats_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, SessionRules.EvaluateAgentLoop(Session(9, hashes: [("sha256:aaaa1111", 9)]), WindowStart, End, Options).Status);
    }

    [Fact]
    public void AgentLoop_NoRequestHashes_IsNotApplicable()
    {
        Assert.Equal(RuleStatus.NotApplicable, SessionRules.EvaluateAgentLoop(Session(500), WindowStart, End, Options).Status);
    }

    [Fact]
    public void AgentLoop_SessionWithoutUser_ProposesIsolatingTheFeature()
    {
        var action = SessionRules.EvaluateAgentLoop(Session(10, user: null, hashes: [("sha256:aaaa1111", 10)]), WindowStart, End, Options).Candidate!.ProposedAction!;

        Assert.Equal("feature", action.Parameters.GetProperty("scope").GetProperty("type").GetString());
    }

    /// <summary>A week costing $100 for <paramref name="units"/> units, and (unless <paramref name="whole"/> is false) usage the day before it.</summary>
    private static FeatureUsageHistory Week(decimal units, bool whole = true) =>
        Of(new[] { Row(End.AddDays(-8).AddHours(12), "u", 0m), Row(End.AddDays(-3).AddHours(12), "u", 100m, units: units) }.Skip(whole ? 0 : 1));

    [Fact]
    public void UnitEconomics_CostPerUnitAboveValue_IsAFinding()
    {
        var result = UnitEconomicsRule.Evaluate(Week(199m), Profile(valuePerUnit: 0.5m), End);

        Assert.Equal(RuleStatus.Finding, result.Status);
        var evidence = result.Candidate!.Evidence;
        Assert.Equal(0.5m, evidence.Baseline!["valuePerUnitUsd"]);
        Assert.Equal((End.AddDays(-7), End), (evidence.WindowStart, evidence.WindowEnd));
        Assert.Equal(0.5m, result.Candidate.Magnitude);
    }

    [Fact]
    public void UnitEconomics_CostPerUnitEqualToValue_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, UnitEconomicsRule.Evaluate(Week(200m), Profile(valuePerUnit: 0.5m), End).Status);
    }

    [Fact]
    public void UnitEconomics_FeatureNewerThanTheWeek_SaysNotEnoughHistory()
    {
        Assert.Equal(RuleStatus.NotEnoughHistory, UnitEconomicsRule.Evaluate(Week(10m, whole: false), Profile(valuePerUnit: 0.5m), End).Status);
    }

    [Fact]
    public void UnitEconomics_NoUnitsReported_IsNotApplicable()
    {
        Assert.Equal(RuleStatus.NotApplicable, UnitEconomicsRule.Evaluate(Week(0m), Profile(valuePerUnit: 0.5m), End).Status);
    }
}
