using System.Diagnostics;
using ControlPlane.Audits;
using ControlPlane.Azure.Audits;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Azure.Tests.Audits;

/// <summary>The real Azure.ResourceManager SDK, through <see cref="ArmAiInventoryReader"/>, against <see cref="FakeArmServer"/>'s listings.</summary>
public sealed class ArmAiInventoryReaderTests : IAsyncLifetime
{
    private const string SubA = "11111111-1111-1111-1111-111111111111";
    private const string SubB = "22222222-2222-2222-2222-222222222222";
    private const string SubDenied = "33333333-3333-3333-3333-333333333333";
    private static readonly string[] Publishers = ["openai", "anthropic"];

    // Short back-off so retries cost milliseconds; Retry-After from the server still wins.
    private static readonly ShadowAiArmOptions Options = new()
    {
        MaxRetries = 3,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
    };

    private FakeArmServer _arm = null!;

    public async Task InitializeAsync() => _arm = await FakeArmServer.StartAsync();

    public async Task DisposeAsync() => await _arm.DisposeAsync();

    [Fact]
    public async Task ReadAsync_EveryReadableSubscription_ListsAiResourcesWithTagsAndDeploymentsAcrossPages()
    {
        _arm.PageSize = 2;
        _arm.AddSubscription(SubA);
        _arm.AddSubscription(SubB);
        var openAi = _arm.AddResource(SubA, "rg-ai", AiResourceTypes.CognitiveServicesAccount, "oai-marketing", "OpenAI",
            new Dictionary<string, string> { ["team"] = "marketing" }, skuName: "S0");
        _arm.AddResource(SubA, "rg-ai", AiResourceTypes.CognitiveServicesAccount, "speech-1", "SpeechServices");
        _arm.AddResource(SubA, "rg-ai", AiResourceTypes.MachineLearningWorkspace, "hub-1", "Hub");
        _arm.AddResource(SubA, "rg-web", "Microsoft.Web/sites", "site-1");
        _arm.AddResource(SubB, "rg-x", AiResourceTypes.SearchService, "search-1", skuName: "standard");
        _arm.AddResource(SubB, "rg-x", AiResourceTypes.SaasResource, "claude-seats", planPublisher: "anthropic");
        _arm.AddResource(SubB, "rg-x", AiResourceTypes.SaasResource, "crm-seats", planPublisher: "contoso");
        _arm.AddDeployment(openAi, "gpt-4o", "gpt-4o", "GlobalStandard", 50);
        _arm.AddDeployment(openAi, "gpt-4o-ptu", "gpt-4o", "ProvisionedManaged", 100);
        _arm.AddDeployment(openAi, "mini", "gpt-4o-mini", "Standard", 10);

        var inventory = await Reader().ReadAsync(null, Publishers);

        Assert.Equal(
            ["claude-seats", "hub-1", "oai-marketing", "search-1", "speech-1"],
            inventory.Resources.Select(r => r.Name).Order(StringComparer.Ordinal));
        var account = inventory.Resources.Single(r => r.Name == "oai-marketing");
        Assert.Equal(("OpenAI", "S0", "marketing", "rg-ai", "arm"), (account.Kind, account.SkuName, account.Tags["team"], account.ResourceGroup, account.Source));
        Assert.Equal("anthropic", inventory.Resources.Single(r => r.Name == "claude-seats").Publisher);
        Assert.Equal(3, inventory.Deployments.Count); // three deployments in pages of two: the second page came from nextLink
        var ptu = inventory.Deployments.Single(d => d.Name == "gpt-4o-ptu");
        Assert.Equal(("gpt-4o", "2024-08-06", "ProvisionedManaged", 100), (ptu.Model, ptu.ModelVersion, ptu.SkuName, ptu.Capacity));
        Assert.Equal(openAi, ptu.AccountId, ignoreCase: true);
        Assert.Equal([SubA, SubB], inventory.SubscriptionsRead);
        Assert.Empty(inventory.UnreadableSubscriptions);

        var listing = _arm.Requests.Where(r => r.Path == $"/subscriptions/{SubA}/resources").ToList();
        Assert.True(listing.Count >= 2, "the resource listing of four entries in pages of two must have followed nextLink");
        Assert.All(listing, r => Assert.Contains("resourceType", Uri.UnescapeDataString(r.Query), StringComparison.Ordinal));
        Assert.All(_arm.Requests, r => Assert.True(r.HadBearerToken));
    }

    [Fact]
    public async Task ReadAsync_OneSubscriptionRefuses_RecordsItNotReadableAndReadsTheOthers()
    {
        _arm.AddSubscription(SubA);
        _arm.AddSubscription(SubDenied, refuses: true);
        _arm.AddSubscription(SubB);
        _arm.AddResource(SubA, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-a", "OpenAI");
        _arm.AddResource(SubB, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-b", "AIServices");

        var inventory = await Reader().ReadAsync(null, Publishers);

        Assert.Equal(["oai-a", "oai-b"], inventory.Resources.Select(r => r.Name));
        var denied = Assert.Single(inventory.UnreadableSubscriptions);
        Assert.Equal(new UnreadableSubscription(SubDenied, 403, "AuthorizationFailed"), denied);
        Assert.Equal([SubA, SubB], inventory.SubscriptionsRead);
    }

    [Fact]
    public async Task ReadAsync_AccountRefusesItsDeployments_KeepsTheAccountAndNotesIt()
    {
        _arm.AddSubscription(SubA);
        var refusing = _arm.AddResource(SubA, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-locked", "OpenAI");
        var open = _arm.AddResource(SubA, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-open", "OpenAI");
        _arm.AddDeployment(refusing, "hidden", "gpt-4o", "ProvisionedManaged", 100);
        _arm.AddDeployment(open, "seen", "gpt-4o", "Standard", 10);
        _arm.RefuseDeployments(refusing);

        var inventory = await Reader().ReadAsync(null, Publishers);

        Assert.Equal(["oai-locked", "oai-open"], inventory.Resources.Select(r => r.Name));
        Assert.Equal("seen", Assert.Single(inventory.Deployments).Name);
        Assert.Contains(inventory.Notes, n => n.Contains(refusing, StringComparison.Ordinal) && n.Contains("403", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_Throttled_WaitsRetryAfterAndCompletes()
    {
        _arm.AddSubscription(SubA);
        _arm.AddResource(SubA, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-a", "OpenAI");
        _arm.FailNext(2, 429, method: "GET", retryAfterSeconds: 1);

        var clock = Stopwatch.StartNew();
        var inventory = await Reader().ReadAsync(null, Publishers);

        Assert.Equal("oai-a", Assert.Single(inventory.Resources).Name);

        // The configured back-off is 20-100 ms; only honouring Retry-After: 1 twice takes this long.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"retried after {clock.Elapsed}, before Retry-After");
        Assert.Equal(3, _arm.Requests.Count(r => r.Path == "/subscriptions")); // two throttled, then served
    }

    [Fact]
    public async Task ReadAsync_NamedSubscriptions_ReadsOnlyThoseWithoutListingSubscriptions()
    {
        _arm.AddSubscription(SubA);
        _arm.AddSubscription(SubB);
        _arm.AddResource(SubA, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-a", "OpenAI");
        _arm.AddResource(SubB, "rg", AiResourceTypes.CognitiveServicesAccount, "oai-b", "OpenAI");

        var inventory = await Reader().ReadAsync([SubB], Publishers);

        Assert.Equal("oai-b", Assert.Single(inventory.Resources).Name);
        Assert.DoesNotContain(_arm.Requests, r => r.Path == "/subscriptions");
    }

    [Fact]
    public async Task ResourceFilter_NamesEveryAuditedType()
    {
        _arm.AddSubscription(SubA);
        foreach (var type in AiResourceTypes.Listed)
        {
            _arm.AddResource(SubA, "rg", type, $"r-{type.Length}", planPublisher: type == AiResourceTypes.SaasResource ? "openai" : null);
        }

        var inventory = await Reader().ReadAsync([SubA], Publishers);

        Assert.Equal(AiResourceTypes.Listed.Order(StringComparer.Ordinal), inventory.Resources.Select(r => r.Type).Order(StringComparer.Ordinal));
    }

    private ArmAiInventoryReader Reader() => new(FakeArm.CreateClient(_arm, ArmAiInventoryReader.CreateClientOptions(Options)));
}
