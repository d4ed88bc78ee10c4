using System.Net.Http.Json;
using System.Text.Json;

namespace ControlPlane.Budgets;

/// <summary>Budget calls as an app and an admin make them, for readable tests.</summary>
public static class BudgetTestClient
{
    public static async Task<JsonElement> PutBudgetAsync(this HttpClient admin, string id, object budget)
    {
        var response = await admin.PutAsJsonAsync($"/api/budgets/{id}", budget);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    public static async Task<JsonElement> GetBudgetAsync(this HttpClient client, string id) =>
        await (await client.GetAsync($"/api/budgets/{id}")).JsonAsync();

    /// <summary>gpt-4o on azure-openai: $2.50 in, $10 out per million, so 1,000 in + 1,000 out = $0.0125 worst case.</summary>
    public static async Task<JsonElement> AuthorizeAsync(this HttpClient client, string team = "search", long inputTokens = 1000, long maxOutputTokens = 1000, string feature = "answers")
    {
        var response = await client.PostAsJsonAsync("/api/authorize", new
        {
            team, feature, provider = "azure-openai", model = "gpt-4o", inputTokens, maxOutputTokens,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    public static async Task<JsonElement> PostUsageAsync(this HttpClient client, string id, long inputTokens, long outputTokens, string? reservationId = null, string team = "search", string feature = "answers")
    {
        var response = await client.PostAsJsonAsync("/api/usage", new
        {
            id, team, feature, provider = "azure-openai", model = "gpt-4o", inputTokens, outputTokens, reservationId,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    public static decimal Money(this JsonElement json, string property) => json.GetProperty(property).GetDecimal();
}
