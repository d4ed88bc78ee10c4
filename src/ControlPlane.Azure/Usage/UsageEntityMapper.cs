using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using ControlPlane.Pricing;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

/// <summary>
/// Maps ledger events to table entities and back. Money is stored as invariant decimal strings: Table storage has
/// no decimal type, and a double would lose cents in the sums finance reconciles.
/// </summary>
internal static class UsageEntityMapper
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static TableEntity ToEntity(string partitionKey, string rowKey, PricedUsageEvent priced)
    {
        var (e, cost) = priced;
        var entity = new TableEntity(partitionKey, rowKey)
        {
            ["Id"] = e.Id,
            ["EventTime"] = e.Timestamp.UtcDateTime,
            ["EventTimeText"] = e.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            ["Team"] = e.Team,
            ["Feature"] = e.Feature,
            ["Environment"] = e.Environment,
            ["Model"] = e.Model,
            ["Batch"] = e.Batch,
            ["InputTokens"] = e.Tokens.InputTokens,
            ["CachedInputTokens"] = e.Tokens.CachedInputTokens,
            ["CacheWriteTokens"] = e.Tokens.CacheWriteTokens,
            ["OutputTokens"] = e.Tokens.OutputTokens,
            ["ReasoningTokens"] = e.Tokens.ReasoningTokens,
            ["CostUsd"] = Money(cost.TotalUsd),
            ["UncachedInputUsd"] = Money(cost.UncachedInputUsd),
            ["CachedInputUsd"] = Money(cost.CachedInputUsd),
            ["CacheWriteUsd"] = Money(cost.CacheWriteUsd),
            ["OutputUsd"] = Money(cost.OutputUsd),
            ["ReasoningUsd"] = Money(cost.ReasoningUsd),
            ["Unpriced"] = cost.Unpriced,
            ["BatchPriced"] = cost.BatchPriced,
        };
        SetIfNotNull(entity, "User", e.User);
        SetIfNotNull(entity, "App", e.App);
        SetIfNotNull(entity, "PromptTemplate", e.PromptTemplate);
        SetIfNotNull(entity, "Provider", e.Provider);
        SetIfNotNull(entity, "Deployment", e.Deployment);
        SetIfNotNull(entity, "DeploymentType", e.DeploymentType);
        SetIfNotNull(entity, "ReservationId", e.ReservationId);
        SetIfNotNull(entity, "Status", e.Status);
        SetIfNotNull(entity, "Session", e.Session);
        SetIfNotNull(entity, "RequestHash", e.RequestHash);
        SetIfNotNull(entity, "Units", e.Units is { } units ? Money(units) : null);
        SetIfNotNull(entity, "Tags", e.Tags is { Count: > 0 } tags ? JsonSerializer.Serialize(tags, Json) : null);
        SetIfNotNull(entity, "PricedWith", cost.PricedWith is { } with ? JsonSerializer.Serialize(with, Json) : null);
        if (e.LatencyMs is { } latency)
        {
            entity["LatencyMs"] = latency;
        }

        if (e.RecordedAt is { } recordedAt)
        {
            entity["RecordedAt"] = recordedAt.UtcDateTime;
            entity["Late"] = e.Late;
        }

        if (cost.TierAboveInputTokens is { } tier)
        {
            entity["TierAboveInputTokens"] = tier;
        }

        return entity;
    }

    public static PricedUsageEvent FromEntity(TableEntity entity)
    {
        var e = new UsageEvent
        {
            Id = entity.GetString("Id"),
            Timestamp = DateTimeOffset.Parse(entity.GetString("EventTimeText"), CultureInfo.InvariantCulture),
            Team = entity.GetString("Team"),
            Feature = entity.GetString("Feature"),
            User = entity.GetString("User"),
            App = entity.GetString("App"),
            Environment = entity.GetString("Environment"),
            PromptTemplate = entity.GetString("PromptTemplate"),
            Provider = entity.GetString("Provider"),
            Model = entity.GetString("Model"),
            Deployment = entity.GetString("Deployment"),
            DeploymentType = entity.GetString("DeploymentType"),
            Batch = entity.GetBoolean("Batch") ?? false,
            Tokens = new UsageTokens(
                entity.GetInt64("InputTokens") ?? 0,
                entity.GetInt64("CachedInputTokens") ?? 0,
                entity.GetInt64("CacheWriteTokens") ?? 0,
                entity.GetInt64("OutputTokens") ?? 0,
                entity.GetInt64("ReasoningTokens") ?? 0),
            ReservationId = entity.GetString("ReservationId"),
            Session = entity.GetString("Session"),
            RequestHash = entity.GetString("RequestHash"),
            Units = entity.GetString("Units") is { } units ? ParseMoney(units) : null,
            Tags = entity.GetString("Tags") is { } tags ? JsonSerializer.Deserialize<Dictionary<string, string>>(tags, Json) : null,
            LatencyMs = entity.GetInt64("LatencyMs"),
            Status = entity.GetString("Status"),
            RecordedAt = entity.GetDateTimeOffset("RecordedAt"),
            Late = entity.GetBoolean("Late") ?? false,
        };
        var cost = new UsageCost(
            ParseMoney(entity.GetString("CostUsd")),
            ParseMoney(entity.GetString("UncachedInputUsd")),
            ParseMoney(entity.GetString("CachedInputUsd")),
            ParseMoney(entity.GetString("CacheWriteUsd")),
            ParseMoney(entity.GetString("OutputUsd")),
            ParseMoney(entity.GetString("ReasoningUsd")),
            entity.GetBoolean("Unpriced") ?? false,
            entity.GetBoolean("BatchPriced") ?? false,
            entity.GetInt64("TierAboveInputTokens"),
            entity.GetString("PricedWith") is { } with ? JsonSerializer.Deserialize<PriceReference>(with, Json) : null);
        return new PricedUsageEvent(e, cost);
    }

    public static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static decimal ParseMoney(string value) => decimal.Parse(value, NumberStyles.Number, CultureInfo.InvariantCulture);

    private static void SetIfNotNull(TableEntity entity, string name, string? value)
    {
        if (value is not null)
        {
            entity[name] = value;
        }
    }
}
