using System.Text.Json;

namespace ControlPlane.Pricing;

/// <summary>The JSON shape of a price entry is a public contract: admins PUT it, the default sheet ships it.</summary>
public class PriceEntryJsonTests
{
    private const string ContractJson = """
        {
          "provider": "anthropic",
          "model": "claude-sonnet-4-5",
          "deploymentType": "global",
          "effectiveFrom": "2026-03-01T00:00:00+00:00",
          "inputPerMTok": 3,
          "cachedInputPerMTok": 0.3,
          "cacheWritePerMTok": 3.75,
          "outputPerMTok": 15,
          "reasoningPerMTok": 16,
          "batchInputPerMTok": 1.5,
          "batchOutputPerMTok": 7.5,
          "batchDiscount": 0.5,
          "tiers": [
            {
              "aboveInputTokens": 200000,
              "inputPerMTok": 6,
              "cachedInputPerMTok": 0.6,
              "cacheWritePerMTok": 7.5,
              "outputPerMTok": 22.5,
              "reasoningPerMTok": 23
            }
          ],
          "source": "https://docs.claude.com/en/docs/about-claude/pricing",
          "asOf": "2026-03-01"
        }
        """;

    [Fact]
    public void Deserialize_ContractJson_ReadsEveryField()
    {
        var entry = JsonSerializer.Deserialize<PriceEntry>(ContractJson, JsonSerializerOptions.Web)!;

        var expected = new PriceEntry
        {
            Provider = "anthropic",
            Model = "claude-sonnet-4-5",
            DeploymentType = "global",
            EffectiveFrom = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero),
            InputPerMTok = 3m,
            CachedInputPerMTok = 0.3m,
            CacheWritePerMTok = 3.75m,
            OutputPerMTok = 15m,
            ReasoningPerMTok = 16m,
            BatchInputPerMTok = 1.5m,
            BatchOutputPerMTok = 7.5m,
            BatchDiscount = 0.5m,
            Tiers = entry.Tiers,
            Source = "https://docs.claude.com/en/docs/about-claude/pricing",
            AsOf = new DateOnly(2026, 3, 1),
        };
        Assert.Equal(expected, entry);
        Assert.Equal(
            new PriceTier { AboveInputTokens = 200_000, InputPerMTok = 6m, CachedInputPerMTok = 0.6m, CacheWritePerMTok = 7.5m, OutputPerMTok = 22.5m, ReasoningPerMTok = 23m },
            Assert.Single(entry.Tiers!));
    }

    [Fact]
    public void Serialize_Entry_WritesTheContractNames()
    {
        var entry = JsonSerializer.Deserialize<PriceEntry>(ContractJson, JsonSerializerOptions.Web)!;

        using var written = JsonDocument.Parse(JsonSerializer.Serialize(entry, JsonSerializerOptions.Web));
        using var contract = JsonDocument.Parse(ContractJson);

        Assert.Equal(Names(contract.RootElement), Names(written.RootElement));
        Assert.Equal(Names(contract.RootElement.GetProperty("tiers")[0]), Names(written.RootElement.GetProperty("tiers")[0]));
    }

    private static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
}
