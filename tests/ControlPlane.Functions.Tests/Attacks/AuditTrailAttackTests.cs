using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.AuditLog;
using ControlPlane.Azure.AuditLog;
using ControlPlane.Batch;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ControlPlane.Attacks;

/// <summary>
/// Regression for issue 9, item 13: isolate, reset, budget, price, key, GPU pool and orchestration changes were
/// recorded nowhere. An admin (or a stolen admin key) must not be able to change anything without a trail, read the
/// trail without being an admin, or find a secret in it.
/// </summary>
public sealed class AuditTrailAttackTests : IAsyncLifetime
{
    private BatchHarness _h = null!;

    public async Task InitializeAsync() => _h = await BatchHarness.StartAsync(services: s =>
    {
        s.RemoveAll<IAdminAuditLog>();
        s.AddSingleton<IAdminAuditLog>(sp => new FailingAuditLog(ActivatorUtilities.CreateInstance<TableAdminAuditLog>(sp)));
    });

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task AdminChanges_LeaveATrail_WithBeforeAndAfter()
    {
        var opsSecret = await _h.App.IssueKeyAsync("admin");
        var opsId = opsSecret.Split('_')[1];
        var ops = _h.App.Client(opsSecret);
        var scope = """{"scope":{"type":"team","value":"search"}}""";

        Ok(await ops.PutAsJsonAsync("/api/budgets/search", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 50 }));
        Ok(await ops.PutAsync("/api/prices", Json("""{"prices":[{"provider":"azure-openai","model":"gpt-4o","inputPerMTok":2.0,"outputPerMTok":8.0}]}""")));
        var issued = await (await ops.PostAsJsonAsync("/api/keys", new { name = "search ingest", role = "ingest", teams = new[] { "search" } })).JsonAsync();
        var keyId = issued.GetProperty("id").GetString()!;
        Ok(await ops.DeleteAsync($"/api/keys/{keyId}"));
        Ok(await ops.PostJsonAsync("/api/killswitches/isolate", scope));
        Ok(await ops.PostJsonAsync("/api/killswitches/reset", scope));
        Ok(await ops.PutAsJsonAsync("/api/gpu/pools/infer", new { scaleSetId = AuditTrail.ScaleSetId, minCapacity = 1, maxCapacity = 8, team = "search", hourlyPriceUsd = 3.6m }));
        // A run that stays in flight (its batch never finishes) until it is terminated.
        _h.OpenAI.PollsPerState = 10_000;
        await _h.SubmitOkAsync();
        Ok(await ops.PostJsonAsync("/api/orchestrations/nightly-batch/start", """{"instanceId":"by-hand"}"""));
        await _h.WaitUntilAsync("by-hand", run => run.TryGetProperty("step", out var step) && step.GetString() == "poll");
        Ok(await ops.PostJsonAsync("/api/orchestrations/by-hand/terminate", """{"reason":"audit test"}"""));
        Ok(await ops.PostAsync("/api/orchestrations/by-hand/retry", null));
        Ok(await ops.DeleteAsync("/api/budgets/search"));

        var trail = (await _h.Admin.EntriesAsync()).Where(e => e.GetProperty("actor").GetProperty("keyId").GetString() == opsId).ToList();

        Assert.Equal(
            [
                ("budget.delete", "search"), ("orchestration.retry", "by-hand"), ("orchestration.terminate", "by-hand"),
                ("orchestration.start", "by-hand"), ("gpu_pool.upsert", "infer"), ("killswitch.reset", "team:search"),
                ("killswitch.isolate", "team:search"), ("key.revoke", keyId), ("key.issue", keyId),
                ("price.upsert", "azure-openai/gpt-4o/*@always"), ("budget.upsert", "search"),
            ],
            trail.Select(e => (e.GetProperty("kind").GetString(), e.GetProperty("target").GetString())));
        Assert.All(trail, e =>
        {
            Assert.Equal("succeeded", e.GetProperty("outcome").GetString());
            Assert.True(e.GetProperty("changed").GetBoolean(), $"{e.GetProperty("kind")} changed nothing?");
            Assert.Equal("admin key", e.GetProperty("actor").GetProperty("name").GetString());
            Assert.False(e.GetProperty("actor").GetProperty("bootstrap").GetBoolean());
        });
        var byKind = trail.ToDictionary(e => e.GetProperty("kind").GetString()!);
        Assert.Equal(50m, byKind["budget.delete"].GetProperty("before").GetProperty("limitUsd").GetDecimal());
        Assert.Equal(JsonValueKind.Null, byKind["budget.delete"].GetProperty("after").ValueKind);
        Assert.Equal("running", byKind["orchestration.terminate"].GetProperty("before").GetProperty("status").GetString());
        Assert.Equal("terminated", byKind["orchestration.terminate"].GetProperty("after").GetProperty("status").GetString());
        Assert.Equal("terminated", byKind["orchestration.retry"].GetProperty("before").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, byKind["orchestration.start"].GetProperty("before").ValueKind);
        Assert.Equal(JsonValueKind.Null, byKind["key.issue"].GetProperty("before").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, byKind["key.revoke"].GetProperty("after").GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task TheTrail_NeverHoldsAKeySecretOrHash()
    {
        var issued = await (await _h.Admin.PostAsJsonAsync("/api/keys", new { name = "finance bot", role = "finance" })).JsonAsync();
        await _h.Admin.DeleteAsync($"/api/keys/{issued.GetProperty("id").GetString()}");

        var trail = await (await _h.Admin.GetAsync("/api/audit-log")).Content.ReadAsStringAsync();

        // The secret is everything after the id's separator, as the key service reads it: it may itself hold '_'.
        var key = issued.GetProperty("key").GetString()!;
        var secret = key[(key.IndexOf('_', ControlPlane.Access.ApiKeyService.Prefix.Length) + 1)..];
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret));
        Assert.Contains("finance bot", trail);
        Assert.DoesNotContain(secret, trail);
        Assert.DoesNotContain(Convert.ToBase64String(hash), trail);
        Assert.DoesNotContain(Convert.ToHexString(hash), trail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(ControlPlaneApp.AdminKey, trail);
    }

    [Fact]
    public async Task AuditLogDown_NoAdminChangeSucceedsUnaudited()
    {
        var store = (FailingAuditLog)_h.App.Services.GetRequiredService<IAdminAuditLog>();
        store.FailAppends = true;

        var attempts = new[]
        {
            await _h.Admin.PutAsJsonAsync("/api/budgets/sneaky", new { scope = new { type = "org", value = "acme" }, period = "total", limitUsd = 1_000_000 }),
            await _h.Admin.PostJsonAsync("/api/killswitches/reset", """{"scope":{"type":"team","value":"search"}}"""),
            await _h.Admin.PostAsJsonAsync("/api/keys", new { name = "backdoor", role = "admin" }),
            await _h.Admin.PostAsync("/api/orchestrations/nightly-batch/start", null),
        };

        foreach (var response in attempts)
        {
            await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, AuditLogErrors.Unavailable);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _h.Admin.GetAsync("/api/budgets/sneaky")).StatusCode);
        Assert.DoesNotContain("backdoor", await (await _h.Admin.GetAsync("/api/keys")).Content.ReadAsStringAsync());
        Assert.Empty((await (await _h.Admin.GetAsync("/api/orchestrations")).JsonAsync()).GetProperty("instances").EnumerateArray());
    }

    [Fact]
    public async Task NonAdminKeys_CannotReadOrWriteTheTrail()
    {
        var finance = _h.App.Client(await _h.App.IssueKeyAsync("finance"));
        var ingest = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "search"));

        foreach (var client in new[] { finance, ingest })
        {
            await (await client.GetAsync("/api/audit-log")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
            await (await client.PutAsJsonAsync("/api/budgets/x", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1 }))
                .AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        }

        Assert.DoesNotContain(await _h.Admin.EntriesAsync(), e => e.GetProperty("kind").GetString() == "budget.upsert");
    }

    [Fact]
    public void EveryAdminFunctionThatChangesState_IsAudited()
    {
        var functions = ControlPlane.Functions.Hosting.FunctionIndex.Http
            .Where(f => f.Http.Policy == Policies.Admin && f.Http.Methods.Any(m => m != "GET"))
            .ToList();

        Assert.True(functions.Count >= 11, $"Only {functions.Count} admin functions that change state were found; the filter above is wrong.");
        Assert.All(functions, f => Assert.True(f.Http.Audit is not null, $"{f.Function.Name} changes state without an audit trail."));
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static void Ok(HttpResponseMessage response) =>
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}.");
}
