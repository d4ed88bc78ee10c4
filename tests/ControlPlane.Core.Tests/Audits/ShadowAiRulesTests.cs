using System.Text.Json;

namespace ControlPlane.Audits;

/// <summary>The four shadow-AI rules on small inventories, at their boundaries.</summary>
public sealed class ShadowAiRulesTests
{
    private static readonly DateTimeOffset End = new(2026, 11, 23, 3, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Start = End.AddDays(-7);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private const string Account = "/subscriptions/s1/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-mkt";

    private static readonly Dictionary<string, string> AllTags = new()
    {
        ["team"] = "marketing", ["project"] = "campaigns", ["environment"] = "prod", ["cost_center"] = "CC-1",
    };

    private static AiResource Resource(string id = Account, IReadOnlyDictionary<string, string>? tags = null, string type = AiResourceTypes.CognitiveServicesAccount) =>
        new(id, id[(id.LastIndexOf('/') + 1)..], type, "OpenAI", "eastus", "rg-ai", tags ?? AllTags, "S0", null, "arm");

    private static AiDeployment Deployment(string name, string sku, int capacity = 100) =>
        new($"{Account}/deployments/{name}", Account, name, "gpt-4o", "2024-08-06", sku, capacity, "arm");

    private static ApprovedAiResource Approved(string id = Account, string team = "marketing") => new(id, team, "campaign copy", "admin", Start, Start);

    private static IReadOnlyList<FindingCandidate> Evaluate(
        IReadOnlyList<AiResource> resources, IReadOnlyList<AiDeployment>? deployments = null, IReadOnlyList<ApprovedAiResource>? approved = null,
        Dictionary<string, DeploymentTraffic>? usage = null, Dictionary<string, string>? costCenters = null, ShadowAiOptions? options = null) =>
        ShadowAiRules.Evaluate(new ShadowAiRuleInput(
            new ShadowAiInventory(resources, deployments ?? [], [], [], []), approved ?? [], costCenters ?? [],
            new DeploymentUsage(usage ?? [], 0), Start, End), options ?? new ShadowAiOptions());

    private static DeploymentTraffic Calls(long requests) => new(requests, requests * 1000, requests * 0.01m);

    [Fact]
    public void Unapproved_NotInRegistry_ProposesRegisteringWithTheTeamTag()
    {
        var finding = Assert.Single(Evaluate([Resource()]));

        Assert.Equal(FindingKinds.ShadowAiUnapproved, finding.Kind);
        Assert.Equal(new FindingSubject(SubjectTypes.Resource, Account.ToLowerInvariant(), "marketing"), finding.Subject);
        var action = Assert.IsType<ProposedAction>(finding.ProposedAction);
        Assert.Equal(ProposedActionTypes.RegisterResource, action.Type);
        Assert.Equal(Account, action.Parameters.GetProperty("resourceId").GetString());
        Assert.Equal("marketing", action.Parameters.GetProperty("team").GetString());

        // The parameters are a valid PUT /api/ai-resources entry as they stand.
        var entry = action.Parameters.Deserialize<AiResourceRequest>(Web)!;
        Assert.NotNull(entry.Validate("p", "admin", End, []));
    }

    [Fact]
    public void Unapproved_RegisteredUnderOtherCase_IsApproved()
    {
        Assert.Empty(Evaluate([Resource()], approved: [Approved(Account.ToUpperInvariant())]));
    }

    [Fact]
    public void Unapproved_WithoutTeamTag_HasNoProposedAction()
    {
        var tags = new Dictionary<string, string>(AllTags);
        tags.Remove("team");

        var unapproved = Evaluate([Resource(tags: tags)]).Single(f => f.Kind == FindingKinds.ShadowAiUnapproved);

        Assert.Null(unapproved.ProposedAction);
        Assert.Null(unapproved.Subject.Team);
    }

    [Fact]
    public void Unapproved_WithProvisionedDeployment_IsHighAndWeighsItsHourlyCommitment()
    {
        var finding = Evaluate([Resource()], [Deployment("ptu", "GlobalProvisionedManaged", 50)], usage: new() { ["ptu"] = Calls(1000) })
            .Single(f => f.Kind == FindingKinds.ShadowAiUnapproved);

        Assert.Equal(FindingSeverity.High, finding.Severity);
        Assert.Equal(50m, finding.Magnitude); // 50 PTU × $1.00 an hour
    }

    [Fact]
    public void Untagged_AllRequiredTagsPresent_NoFinding()
    {
        Assert.DoesNotContain(Evaluate([Resource()], approved: [Approved()]), f => f.Kind == FindingKinds.ShadowAiUntagged);
    }

    [Fact]
    public void Untagged_OneTagMissingOrEmpty_ListsEveryMissingTagAndProposesOnlyKnownValues()
    {
        var tags = new Dictionary<string, string> { ["project"] = "campaigns", ["environment"] = " " }; // empty counts as missing

        var finding = Assert.Single(Evaluate([Resource(tags: tags)], approved: [Approved()], costCenters: new() { ["marketing"] = "CC-42" }));

        Assert.Equal(FindingKinds.ShadowAiUntagged, finding.Kind);
        Assert.Equal(3m, finding.Evidence.Observed["missingTags"]);
        Assert.Contains("team, environment, cost_center", finding.Evidence.Rule, StringComparison.Ordinal);
        var action = Assert.IsType<ProposedAction>(finding.ProposedAction);
        Assert.Equal(ProposedActionTypes.TagResource, action.Type);
        Assert.Equal(Account, action.Parameters.GetProperty("resourceId").GetString());
        var proposed = action.Parameters.GetProperty("tags").Deserialize<Dictionary<string, string>>()!;
        Assert.Equal(new Dictionary<string, string> { ["team"] = "marketing", ["cost_center"] = "CC-42" }, proposed);
    }

    [Fact]
    public void Untagged_NoValueKnown_HasNoProposedAction()
    {
        var tags = new Dictionary<string, string>(AllTags);
        tags.Remove("project");

        var finding = Assert.Single(Evaluate([Resource(tags: tags)], approved: [Approved()]));

        Assert.Equal(FindingKinds.ShadowAiUntagged, finding.Kind);
        Assert.Null(finding.ProposedAction);
        Assert.Equal(FindingSeverity.Low, finding.Severity);
    }

    [Fact]
    public void Untagged_RequiredTagsAreASetting()
    {
        var options = new ShadowAiOptions { RequiredTags = "team, owner" };

        var finding = Assert.Single(Evaluate([Resource()], approved: [Approved()], options: options));

        Assert.Equal(1m, finding.Evidence.Observed["missingTags"]);
        Assert.Contains("owner", finding.Evidence.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void InvisibleSpend_NoEventNamesTheDeployment_FindsIt_OneEventDoesNot()
    {
        var deployments = new[] { Deployment("gpt-4o", "GlobalStandard"), Deployment("Mini", "Standard") };

        var findings = Evaluate([Resource()], deployments, [Approved()], usage: new() { ["mini"] = Calls(1) });

        var finding = Assert.Single(findings);
        Assert.Equal(FindingKinds.ShadowAiInvisibleSpend, finding.Kind);
        Assert.Equal(new FindingSubject(SubjectTypes.Deployment, $"{Account}/deployments/gpt-4o".ToLowerInvariant(), "marketing"), finding.Subject);
        Assert.Contains("case-insensitively", finding.Evidence.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void InvisibleSpend_ProvisionedDeploymentsAreLeftToTheIdleRule()
    {
        var findings = Evaluate([Resource()], [Deployment("ptu", "ProvisionedManaged")], [Approved()]);

        Assert.Equal([FindingKinds.IdleProvisionedDeployment], findings.Select(f => f.Kind));
    }

    [Theory]
    [InlineData("ProvisionedManaged", 2.00)]
    [InlineData("DataZoneProvisionedManaged", 1.10)]
    [InlineData("GlobalProvisionedManaged", 1.00)]
    public void Idle_NoCalls_IsHighWithTheHourlyCommitmentAsMagnitude(string sku, double perPtu)
    {
        var finding = Assert.Single(Evaluate([Resource()], [Deployment("ptu", sku, 100)], [Approved()]));

        Assert.Equal(FindingKinds.IdleProvisionedDeployment, finding.Kind);
        Assert.Equal(FindingSeverity.High, finding.Severity);
        Assert.Equal(100m * (decimal)perPtu, finding.Magnitude);
        Assert.Equal(100m * (decimal)perPtu * 168m, finding.Evidence.Observed["windowCommitmentUsd"]);
    }

    [Fact]
    public void Idle_JustUnderThreshold_IsIdle_AtThreshold_IsNot()
    {
        // 7 days at 10 calls a day: 69 calls is 9.86 a day (idle), 70 is exactly 10 (not).
        var deployment = Deployment("ptu", "DataZoneProvisionedManaged", 20);

        var under = Assert.Single(Evaluate([Resource()], [deployment], [Approved()], usage: new() { ["ptu"] = Calls(69) }));
        var at = Evaluate([Resource()], [deployment], [Approved()], usage: new() { ["ptu"] = Calls(70) });

        Assert.Equal(FindingSeverity.Medium, under.Severity);
        Assert.Equal(69m, under.Evidence.Observed["requests"]);
        Assert.Equal(10m, under.Evidence.Baseline!["idleRequestsPerDay"]);
        Assert.Empty(at);
    }

    [Fact]
    public void Idle_PriceZero_UsesPtuCapacityAsMagnitude()
    {
        var options = new ShadowAiOptions { ProvisionedPtuHourlyUsd = 0m };

        var finding = Assert.Single(Evaluate([Resource()], [Deployment("ptu", "ProvisionedManaged", 300)], [Approved()], options: options));

        Assert.Equal(300m, finding.Magnitude);
    }

    [Fact]
    public void Evaluate_SameResourceFromArmAndUploadInOtherCase_IsOneFingerprint()
    {
        var fromArm = Evaluate([Resource()]).Single();
        var fromUpload = Evaluate([Resource(Account.Replace("resourceGroups", "resourcegroups", StringComparison.Ordinal)) with { Source = "upload" }]).Single();

        Assert.Equal(fromArm.Fingerprint, fromUpload.Fingerprint);
    }
}
