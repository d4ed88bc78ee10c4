using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ControlPlane.Privacy;

/// <summary>
/// With <c>ControlPlane:Privacy:UserPseudonymKey</c>, no raw user id reaches storage, yet people still ask about
/// "alice" by name; without it, nothing changes.
/// </summary>
public sealed class UserPseudonymizationTests
{
    private const string Key = "privacy-test-key-0123456789abcdef-0123456789";
    private const string TraceId = "5bf92f3577b34da6a3ce929d0e0e4736";
    private static readonly string Alice = new UserPseudonymizer(Encoding.UTF8.GetBytes(Key)).Pseudonymize("alice")!;

    private static ControlPlaneApp KeyedApp() => new(new() { [PrivacyOptions.UserPseudonymKeySetting] = Key });

    [Fact]
    public async Task WithKey_AliceIsChargedSettledAndQueryableByName_AndNoTableHoldsHerRawId()
    {
        await using var app = KeyedApp();
        var admin = app.Client();
        var budget = await admin.PutBudgetAsync("person-daily", new { scope = new { type = "user", value = "alice" }, period = "daily", limitUsd = 1m, mode = "hard" });
        Assert.Equal(Alice, budget.GetProperty("scope").GetProperty("value").GetString());

        // Authorize and usage hash alike, so the reservation settles with alice's own event.
        var granted = await (await admin.PostAsJsonAsync("/api/authorize", new
        {
            team = "search", feature = "answers", user = "alice", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, maxOutputTokens = 1000,
        })).JsonAsync();
        Assert.True(granted.GetProperty("allowed").GetBoolean());
        Assert.True((await admin.GetBudgetAsync("person-daily")).Money("reservedUsd") >= 0.0125m, "alice's budget holds her reservation");
        var single = await PostUsageAsync(admin, new
        {
            id = "call-1", team = "search", feature = "answers", user = "alice", provider = "azure-openai", model = "gpt-4o",
            inputTokens = 1000, outputTokens = 200, reservationId = granted.GetProperty("reservationId").GetString(),
        });
        Assert.Equal("settled", single.GetProperty("events")[0].GetProperty("reservation").GetString());

        // A batch in another provider shape, a second user, and an OTLP span for alice.
        await PostUsageAsync(admin, new
        {
            events = new object[]
            {
                new { id = "call-2", team = "search", feature = "answers", user = "alice", provider = "anthropic", model = "claude-sonnet-4-5", usage = new { input_tokens = 1000, output_tokens = 100 } },
                new { id = "call-3", team = "search", feature = "answers", user = "bob", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 100 },
            },
        });
        (await admin.PostAsync("/v1/traces", new StringContent(Span("alice"), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var calls = new[] { "call-1", "call-2", $"otlp:{TraceId}:3000000000000001" };
        var aliceSpend = 0m;
        foreach (var id in calls)
        {
            var recorded = await (await admin.GetAsync($"/api/usage/{Uri.EscapeDataString(id)}")).JsonAsync();
            Assert.Equal(Alice, recorded.GetProperty("user").GetString());
            aliceSpend += recorded.Money("costUsd");
        }

        var charged = await admin.GetBudgetAsync("person-daily");
        Assert.Equal(aliceSpend, charged.Money("spentUsd"));

        // The internal paths that rebuild from stored records: the rollup fold and the reservation sweep.
        await app.RunTimerAsync("FoldUsageRollups");
        await app.RunTimerAsync("ReservationExpirySweep");

        var byUser = await (await admin.GetAsync("/api/costs?groupBy=user")).JsonAsync();
        var groups = byUser.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("key").GetString()!, g => g.Money("costUsd"));
        Assert.Equal(aliceSpend, groups[Alice]);
        Assert.DoesNotContain("alice", groups.Keys);
        Assert.DoesNotContain("bob", groups.Keys);
        var byName = await (await admin.GetAsync("/api/costs?user=alice&groupBy=user")).JsonAsync();
        Assert.Equal(aliceSpend, Assert.Single(byName.GetProperty("groups").EnumerateArray(), g => g.GetProperty("key").GetString() == Alice).Money("costUsd"));
        var byPseudonym = await (await admin.GetAsync($"/api/costs?user={Alice}&groupBy=user")).JsonAsync();
        Assert.Equal(aliceSpend, byPseudonym.GetProperty("groups")[0].Money("costUsd"));
        var listed = await (await admin.GetAsync("/api/usage?user=alice")).JsonAsync();
        Assert.Equal(calls.Order(StringComparer.Ordinal), listed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));

        var (entities, rawHits, pseudonymHits) = await ScanTablesAsync(app.TablePrefix, "alice", Alice);
        Assert.True(entities > 0 && pseudonymHits > 0, $"{entities} entities, {pseudonymHits} holding the pseudonym: the scan read nothing.");
        Assert.True(rawHits.Count == 0, "Raw user id stored in: " + string.Join("; ", rawHits));
    }

    [Fact]
    public async Task WithKey_KillSwitchCheckAndIsolation_NameTheUserAsAppsDo()
    {
        await using var app = KeyedApp();
        var admin = app.Client();

        (await admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "user", value = "alice" } })).EnsureSuccessStatusCode();

        var check = await (await admin.GetAsync("/api/killswitches/check?team=search&feature=answers&user=alice&model=gpt-4o")).JsonAsync();
        Assert.True(check.GetProperty("blocked").GetBoolean());
        var denied = await (await admin.PostAsJsonAsync("/api/authorize", new
        {
            team = "search", feature = "answers", user = "alice", provider = "azure-openai", model = "gpt-4o", inputTokens = 10, maxOutputTokens = 10,
        })).JsonAsync();
        Assert.False(denied.GetProperty("allowed").GetBoolean());
        var (_, rawHits, _) = await ScanTablesAsync(app.TablePrefix, "alice", Alice);
        Assert.Empty(rawHits);
    }

    [Fact]
    public async Task WithKey_McpToolFilters_NameTheUserByRawId()
    {
        await using var app = KeyedApp();
        var admin = app.Client();
        await admin.PutBudgetAsync("person-daily", new { scope = new { type = "user", value = "alice" }, period = "daily", limitUsd = 1m, mode = "soft" });
        await PostUsageAsync(admin, new
        {
            events = new object[]
            {
                new { id = "call-1", team = "search", feature = "answers", user = "alice", model = "gpt-4o", inputTokens = 1000, outputTokens = 100 },
                new { id = "call-2", team = "search", feature = "answers", user = "bob", model = "gpt-4o", inputTokens = 1000, outputTokens = 100 },
            },
        });
        var transport = new HttpClientTransportOptions
        {
            Endpoint = new Uri(app.Server.BaseAddress, "/api/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["x-api-key"] = ControlPlaneApp.AdminKey },
        };
        await using var mcp = await McpClient.CreateAsync(new HttpClientTransport(transport, app.CreateClient(), ownsHttpClient: true));

        var costs = await ToolAsync(mcp, "get_costs", new() { ["groupBy"] = "user", ["filters"] = new Dictionary<string, string[]> { ["user"] = ["alice"] } });
        var budgets = await ToolAsync(mcp, "get_budget_status", new() { ["scopeType"] = "user", ["scopeValue"] = "alice" });

        Assert.Equal(Alice, Assert.Single(costs.GetProperty("groups").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal("person-daily", Assert.Single(budgets.GetProperty("budgets").EnumerateArray()).GetProperty("id").GetString());
    }

    private static async Task<JsonElement> ToolAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments);
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));
        Assert.False(result.IsError is true, $"{tool} failed: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task WithoutKey_RawUserIdIsStoredAsBefore()
    {
        await using var app = new ControlPlaneApp();
        var admin = app.Client();

        await PostUsageAsync(admin, new { id = "call-1", team = "search", feature = "answers", user = "alice", model = "gpt-4o", inputTokens = 10, outputTokens = 10 });

        Assert.Equal("alice", (await (await admin.GetAsync("/api/usage/call-1")).JsonAsync()).GetProperty("user").GetString());
        var (_, rawHits, pseudonymHits) = await ScanTablesAsync(app.TablePrefix, "alice", Alice);
        Assert.NotEmpty(rawHits);
        Assert.Equal(0, pseudonymHits);
    }

    [Fact]
    public async Task Start_KeyShorterThan32Bytes_StopsTheAppNamingTheSetting()
    {
        await using var app = new ControlPlaneApp(new() { [PrivacyOptions.UserPseudonymKeySetting] = "too-short-a-key" });

        var failed = Assert.ThrowsAny<OptionsValidationException>(() => app.CreateClient());

        Assert.Contains("ControlPlane:Privacy:UserPseudonymKey", failed.Message);
        Assert.DoesNotContain("too-short-a-key", failed.Message);
    }

    private static async Task<JsonElement> PostUsageAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/usage", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private static string Span(string user) => $$$"""
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},
          "scopeSpans":[{"scope":{"name":"test"},"spans":[
            {"traceId":"{{{TraceId}}}","spanId":"3000000000000001","name":"chat","kind":3,
             "startTimeUnixNano":"{{{Nanos(ControlPlaneApp.Start.AddSeconds(-2))}}}","endTimeUnixNano":"{{{Nanos(ControlPlaneApp.Start.AddSeconds(-1))}}}",
             "attributes":[
               {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
               {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
               {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},
               {"key":"gen_ai.usage.output_tokens","value":{"intValue":"300"}},
               {"key":"controlplane.team","value":{"stringValue":"search"}},
               {"key":"controlplane.feature","value":{"stringValue":"answers"}},
               {"key":"user.id","value":{"stringValue":"{{{user}}}"}}]}]}]}]}
        """;

    private static ulong Nanos(DateTimeOffset at) => (ulong)(at - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>Every entity of every table under the prefix, keys and properties, searched for both spellings.</summary>
    private static async Task<(int Entities, List<string> RawHits, int PseudonymHits)> ScanTablesAsync(string prefix, string raw, string pseudonym)
    {
        var service = new TableServiceClient(Azurite.ConnectionString);
        var (entities, rawHits, pseudonymHits) = (0, new List<string>(), 0);
        await foreach (var table in service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0))
        {
            if (!table.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                entities++;
                var text = string.Join("\n", entity.Select(p => p.Key + "=" + (p.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture))));
                if (text.Contains(raw, StringComparison.OrdinalIgnoreCase))
                {
                    rawHits.Add($"{table.Name} {entity.PartitionKey}/{entity.RowKey}");
                }

                if (text.Contains(pseudonym, StringComparison.Ordinal))
                {
                    pseudonymHits++;
                }
            }
        }

        return (entities, rawHits, pseudonymHits);
    }
}
