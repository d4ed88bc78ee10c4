using System.Net;
using System.Text.Json;
using ControlPlane.AuditLog;

namespace ControlPlane.AuditLog;

/// <summary>Reads the admin audit log through its API, and a store that fails on demand for the durability tests.</summary>
public static class AuditTrail
{
    public const string ScaleSetId = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/gpu/providers/Microsoft.Compute/virtualMachineScaleSets/infer";

    /// <summary>Every entry (all pages), newest first.</summary>
    public static async Task<List<JsonElement>> EntriesAsync(this HttpClient admin, string query = "")
    {
        var entries = new List<JsonElement>();
        var next = (string?)null;
        do
        {
            var separator = query.Length == 0 ? "?" : "&";
            var response = await admin.GetAsync($"/api/audit-log{(query.Length == 0 ? "" : "?" + query)}{(next is null ? "" : $"{separator}next={Uri.EscapeDataString(next)}")}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.JsonAsync();
            entries.AddRange(page.GetProperty("entries").EnumerateArray());
            next = page.GetProperty("next").GetString();
        }
        while (next is not null);

        return entries;
    }

    /// <summary>The only entry of <paramref name="kind"/>.</summary>
    public static async Task<JsonElement> SingleAsync(this HttpClient admin, string kind) =>
        Assert.Single(await admin.EntriesAsync($"kind={kind}"));
}

/// <summary>The real Table store, made to refuse appends or completions the way a storage outage would.</summary>
public sealed class FailingAuditLog(IAdminAuditLog inner) : IAdminAuditLog
{
    public bool FailAppends { get; set; }
    public bool FailCompletions { get; set; }

    public Task AppendAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default) =>
        FailAppends ? throw new global::Azure.RequestFailedException(503, "Server busy") : inner.AppendAsync(entry, cancellationToken);

    public Task CompleteAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default) =>
        FailCompletions ? throw new global::Azure.RequestFailedException(503, "Server busy") : inner.CompleteAsync(entry, cancellationToken);

    public Task<AdminAuditPage> ListAsync(AdminAuditQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);

    public Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) => inner.DeleteBeforeAsync(cutoff, cancellationToken);
}
