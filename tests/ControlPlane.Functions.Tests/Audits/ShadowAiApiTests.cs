using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Audits;

/// <summary>The shadow-AI audit's admin inputs through the API: the uploaded inventory and the approved-resource registry.</summary>
public sealed class ShadowAiApiTests : IAsyncLifetime
{
    public const string Account = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mkt/providers/Microsoft.CognitiveServices/accounts/oai-mkt";

    /// <summary>What <c>az resource list -o json</c> prints for a small tenant: an OpenAI account, one of its deployments, a web app and an AI SaaS.</summary>
    public static readonly string AzResourceList = """
        [
          {"id": "ACCOUNT", "name": "oai-mkt", "type": "Microsoft.CognitiveServices/accounts", "kind": "OpenAI",
           "location": "swedencentral", "resourceGroup": "rg-mkt", "sku": {"name": "S0"}, "tags": {"team": "marketing"},
           "properties": null, "identity": null, "managedBy": null, "plan": null},
          {"id": "ACCOUNT/deployments/gpt-4o-ptu", "name": "gpt-4o-ptu", "type": "Microsoft.CognitiveServices/accounts/deployments",
           "resourceGroup": "rg-mkt", "sku": {"name": "DataZoneProvisionedManaged", "capacity": 15},
           "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}},
          {"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-web/providers/Microsoft.Web/sites/shop",
           "name": "shop", "type": "Microsoft.Web/sites", "kind": "app", "location": "westeurope", "resourceGroup": "rg-web", "tags": null},
          {"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-saas/providers/Microsoft.SaaS/resources/chatgpt-team",
           "name": "chatgpt-team", "type": "Microsoft.SaaS/resources", "location": "global", "resourceGroup": "rg-saas",
           "plan": {"name": "team", "publisher": "openai", "product": "chatgpt"}}
        ]
        """.Replace("ACCOUNT", Account, StringComparison.Ordinal);

    private static readonly string AccountKey = AiResourceTypes.Normalize(Account);

    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Upload_AzResourceList_SaysWhatItFoundAndTheNextRunAuditsIt()
    {
        var summary = await (await _admin.PostJsonAsync("/api/audits/shadow-ai/inventory", AzResourceList)).JsonAsync();

        Assert.Equal(4, summary.GetProperty("entriesInFile").GetInt32());
        Assert.Equal(2, summary.GetProperty("aiResources").GetInt32());
        Assert.Equal(1, summary.GetProperty("deployments").GetInt32());
        Assert.Equal(1, summary.GetProperty("aiResourcesByType").GetProperty("Microsoft.SaaS/resources").GetInt32());

        var audit = _app.Services.GetRequiredService<ShadowAiAudit>();
        var inventory = await audit.ReadInventoryAsync();
        Assert.Equal(["oai-mkt", "chatgpt-team"], inventory.Resources.Select(r => r.Name));
        Assert.Contains(inventory.Notes, n => n.Contains("Resource Manager not read", StringComparison.Ordinal));

        var evaluation = await audit.EvaluateAsync(inventory, ControlPlaneApp.Start);
        Assert.Equal(2, evaluation.CountsByKind()[FindingKinds.ShadowAiUnapproved]);
        Assert.Equal(1, evaluation.CountsByKind()[FindingKinds.IdleProvisionedDeployment]);
    }

    [Theory]
    [InlineData("""[{"id": "/subscriptions/s""", 400, "request_json_invalid")]
    [InlineData("""{"value": []}""", 400, ShadowAiErrors.InventoryShapeInvalid)]
    [InlineData("""[{"name": "oai", "type": "Microsoft.CognitiveServices/accounts"}]""", 400, ShadowAiErrors.InventoryResourceInvalid)]
    [InlineData("", 400, "request_body_missing")]
    public async Task Upload_Invalid_IsProblemWithItsCodeAndKeepsThePreviousUpload(string body, int status, string code)
    {
        (await _admin.PostJsonAsync("/api/audits/shadow-ai/inventory", AzResourceList)).EnsureSuccessStatusCode();

        await (await _admin.PostJsonAsync("/api/audits/shadow-ai/inventory", body)).AssertProblemAsync((HttpStatusCode)status, code);

        var kept = await _app.Services.GetRequiredService<IShadowAiUploadStore>().GetAsync();
        Assert.Equal(2, kept!.Resources.Count);
    }

    [Fact]
    public async Task Upload_NotJsonOrTooLarge_Is415Or413()
    {
        await using var small = new ControlPlaneApp(new() { ["ControlPlane:Audits:ShadowAi:MaxInventoryBytes"] = "1024" });
        var admin = small.Client();

        await (await admin.PostAsync("/api/audits/shadow-ai/inventory", new StringContent("[]", Encoding.UTF8, "text/plain")))
            .AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "request_unsupported_media_type");
        await (await admin.PostJsonAsync("/api/audits/shadow-ai/inventory", AzResourceList))
            .AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request_body_too_large");
    }

    [Fact]
    public async Task Endpoints_AdminOnly()
    {
        var finance = _app.Client(await _app.IssueKeyAsync("finance"));

        await (await finance.PostJsonAsync("/api/audits/shadow-ai/inventory", "[]")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await finance.GetAsync("/api/ai-resources")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await finance.PutAsJsonAsync("/api/ai-resources", new { resources = new[] { new { resourceId = Account, team = "x" } } }))
            .AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
    }

    [Fact]
    public async Task AiResources_PutThenGet_UpsertsByIdCaseInsensitivelyAndPages()
    {
        var other = Account.Replace("oai-mkt", "oai-ads", StringComparison.Ordinal);
        var put = await (await _admin.PutAsJsonAsync("/api/ai-resources", new
        {
            resources = new object[]
            {
                new { resourceId = Account, team = "marketing", purpose = "campaign copy" },
                new { resourceId = other, team = "ads", approvedBy = "cfo@contoso.com", approvedAt = "2026-01-05T00:00:00Z" },
            },
        })).JsonAsync();
        Assert.Equal(2, put.GetProperty("resources").GetArrayLength());

        // The same resource spelled in upper case replaces the entry, it does not add one.
        (await _admin.PutAsJsonAsync("/api/ai-resources", new { resources = new[] { new { resourceId = Account.ToUpperInvariant(), team = "growth" } } }))
            .EnsureSuccessStatusCode();

        var first = await (await _admin.GetAsync("/api/ai-resources?limit=1")).JsonAsync();
        var second = await (await _admin.GetAsync($"/api/ai-resources?limit=1&next={first.GetProperty("next").GetString()}")).JsonAsync();
        var entries = first.GetProperty("resources").EnumerateArray().Concat(second.GetProperty("resources").EnumerateArray()).ToList();

        Assert.False(second.TryGetProperty("next", out _));
        Assert.Equal(["ads", "growth"], entries.Select(e => e.GetProperty("team").GetString()));
        Assert.Equal("cfo@contoso.com", entries[0].GetProperty("approvedBy").GetString());
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero), entries[0].GetProperty("approvedAt").GetDateTimeOffset());
        Assert.Equal(ControlPlaneApp.Start, entries[1].GetProperty("approvedAt").GetDateTimeOffset());
        Assert.False(string.IsNullOrEmpty(entries[1].GetProperty("approvedBy").GetString())); // the caller's key id
    }

    [Theory]
    [InlineData("""{"resources": []}""", ShadowAiErrors.ResourcesMissing)]
    [InlineData("""{"resources": [{"resourceId": "oai-mkt", "team": "ads"}]}""", ShadowAiErrors.ResourceIdInvalid)]
    [InlineData($$"""{"resources": [{"resourceId": "{{Account}}"}]}""", ShadowAiErrors.TeamRequired)]
    [InlineData($$"""{"resources": [{"resourceId": "{{Account}}", "team": "a"}, {"resourceId": "{{Account}}", "team": "b"}]}""", ShadowAiErrors.ResourceDuplicate)]
    [InlineData($$"""{"resources": [{"resourceId": "{{Account}}", "team": "a", "approvedAt": "2099-01-01T00:00:00Z"}]}""", ShadowAiErrors.FieldInvalid)]
    [InlineData($$"""{"resources": [{"resourceId": "{{Account}}", "team": "a", "owner": "x"}]}""", "request_json_invalid")]
    public async Task AiResources_Invalid_Is400WithItsCodeAndNothingIsStored(string body, string code)
    {
        var response = await _admin.PutAsync("/api/ai-resources", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        Assert.Equal(0, (await (await _admin.GetAsync("/api/ai-resources")).JsonAsync()).GetProperty("resources").GetArrayLength());
    }

    [Fact]
    public async Task AiResources_Put_IsAuditedWithBeforeAndAfter()
    {
        (await _admin.PutAsJsonAsync("/api/ai-resources", new { resources = new[] { new { resourceId = Account, team = "marketing" } } })).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync("/api/ai-resources", new { resources = new[] { new { resourceId = Account, team = "growth" } } })).EnsureSuccessStatusCode();

        var log = await (await _admin.GetAsync("/api/audit-log?kind=ai_resource.")).JsonAsync();
        var entries = log.GetProperty("entries").EnumerateArray().ToList();

        Assert.Equal(2, entries.Count);
        Assert.Equal("ai_resource.upsert", entries[0].GetProperty("kind").GetString());
        Assert.Equal(Account, entries[0].GetProperty("target").GetString());
        Assert.Equal("marketing", entries[0].GetProperty("before")[0].GetProperty("team").GetString());
        Assert.Equal("growth", entries[0].GetProperty("after")[0].GetProperty("team").GetString());
        Assert.Equal(JsonValueKind.Null, entries[1].GetProperty("before").ValueKind);
    }

    [Fact]
    public async Task RegisterResource_ApplyingTheProposedAction_StoresWhatThePutWouldAndTheNextRunFindsItApproved()
    {
        (await _admin.PostJsonAsync("/api/audits/shadow-ai/inventory", AzResourceList)).EnsureSuccessStatusCode();
        var audit = _app.Services.GetRequiredService<ShadowAiAudit>();
        var inventory = await audit.ReadInventoryAsync();
        var unapproved = (await audit.EvaluateAsync(inventory, ControlPlaneApp.Start)).Candidates
            .Single(c => c.Kind == FindingKinds.ShadowAiUnapproved && c.Subject.Name == AccountKey);

        var applied = await _app.Services.GetRequiredService<AiResourceRegistration>()
            .ApplyRegisterResourceAsync(unapproved.ProposedAction!.Parameters, "admin-key-1");

        Assert.True(applied.IsValid);
        var listed = (await (await _admin.GetAsync("/api/ai-resources")).JsonAsync()).GetProperty("resources").EnumerateArray().Single();
        Assert.Equal(Account, listed.GetProperty("resourceId").GetString());
        Assert.Equal("marketing", listed.GetProperty("team").GetString());
        Assert.Equal("admin-key-1", listed.GetProperty("approvedBy").GetString());
        Assert.DoesNotContain((await audit.EvaluateAsync(inventory, ControlPlaneApp.Start)).Candidates,
            c => c.Kind == FindingKinds.ShadowAiUnapproved && c.Subject.Name == AccountKey);
    }

    [Fact]
    public async Task RegisterResource_ParametersNotAnEntry_AreRefusedWithThePutsCodes()
    {
        var registration = _app.Services.GetRequiredService<AiResourceRegistration>();

        var noTeam = await registration.ApplyRegisterResourceAsync(JsonSerializer.SerializeToElement(new { resourceId = Account }), "admin");
        var notObject = await registration.ApplyRegisterResourceAsync(JsonSerializer.SerializeToElement("x"), "admin");

        Assert.Equal(ShadowAiErrors.TeamRequired, Assert.Single(noTeam.Errors).Code);
        Assert.Equal(ShadowAiErrors.ResourcesMissing, Assert.Single(notObject.Errors).Code);
    }
}
