using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ControlPlane.Azure.Pricing;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Paging;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.Functions.Pricing;

/// <summary>The price sheet in force, admin overrides, and quotes for calls not yet made.</summary>
[Tags("Prices")]
public sealed class PricesApi(PriceCatalog catalog, IPriceStore store, UsageEventValidator validator, TimeProvider time)
{
    private const int MaxBodyBytes = 1024 * 1024;
    private const string ListName = "prices";

    [Function(nameof(ListPrices))]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("provider", "Only this provider's entries.")]
    [QueryParameter("model", "Only this model's entries.")]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Price entries in force, by provider, model, deployment type and date: the shipped defaults (with sources) and admin overrides. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<PriceListResponse>, ProblemHttpResult>> ListPrices(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/prices")] HttpRequest http, CancellationToken cancellationToken)
    {
        var (provider, model) = (http.Text("provider"), http.Text("model"));
        var (request, problem) = PageQuery.Read(ListName, http);
        if (problem is not null)
        {
            return problem;
        }

        // The sheet is in memory already (every priced call needs it whole), so it is paged there.
        var sheet = await catalog.GetSheetAsync(cancellationToken);
        var page = request!.Slice(
            sheet.Entries
                .Where(e => provider is null || string.Equals(e.Provider, provider, StringComparison.OrdinalIgnoreCase))
                .Where(e => model is null || string.Equals(e.Model, model, StringComparison.OrdinalIgnoreCase)),
            e => SortKey(e, sheet.IsOverride(e)));
        var entries = page.Items
            .Select(e =>
            {
                // The entry's own contract shape, plus where it came from.
                var node = JsonSerializer.SerializeToNode(e, JsonBody.Options)!.AsObject();
                node["origin"] = sheet.IsOverride(e) ? "override" : "default";
                return node;
            })
            .ToList();
        return TypedResults.Ok(new PriceListResponse(entries, PageQuery.Token(ListName, page.Next)));
    }

    /// <summary>The entry's identity (as <see cref="PriceEntryKey"/> compares it) and origin: unique on the sheet, so pages neither skip nor repeat.</summary>
    private static string SortKey(PriceEntry e, bool isOverride) => string.Join('\u001f',
        e.Provider.ToLowerInvariant(), e.Model.ToLowerInvariant(), e.DeploymentType?.ToLowerInvariant() ?? string.Empty,
        e.EffectiveFrom?.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, isOverride ? "override" : "default");

    [Function(nameof(UpsertPrices))]
    [ProblemResponse(StatusCodes.Status400BadRequest, PriceApiErrors.PricesEmpty, PriceApiErrors.PricesTooMany, PriceApiErrors.PriceNull, PricingErrors.ProviderMissing, PricingErrors.ModelMissing, PricingErrors.NameTooLong, PricingErrors.DeploymentTypeInvalid, PricingErrors.RateNegative, PricingErrors.RateTooLarge, PricingErrors.BatchDiscountInvalid, PricingErrors.SourceInvalid, PricingErrors.TierMissing, PricingErrors.TierThresholdInvalid, PricingErrors.TiersNotAscending, PricingErrors.TiersTooMany)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.PriceUpsert))]
    [AcceptsJson(typeof(PriceSheetRequest))]
    [EndpointSummary("Insert or replace up to 100 price entries (negotiated prices, new models) in one atomic write.")]
    public async Task<Results<Ok<PriceUpsertResponse>, ProblemHttpResult>> UpsertPrices(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/prices")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<PriceSheetRequest>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new List<ValidationError>();
        if (body!.Prices is not { Count: > 0 } prices)
        {
            errors.Add(new(PriceApiErrors.PricesEmpty, "prices", "prices must hold at least one entry."));
        }
        else if (prices.Count > TablePriceStore.MaxEntriesPerWrite)
        {
            errors.Add(new(PriceApiErrors.PricesTooMany, "prices", $"At most {TablePriceStore.MaxEntriesPerWrite} entries per request."));
        }
        else
        {
            for (var i = 0; i < prices.Count; i++)
            {
                errors.AddRange(prices[i] is { } entry
                    ? PriceEntryValidator.Validate(entry, $"prices[{i}]")
                    : [new(PriceApiErrors.PriceNull, $"prices[{i}]", "A price entry is null.")]);
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        // Stored under canonical names, so " AOAI" and azure-openai are one key and a later write replaces the earlier.
        await store.UpsertOverridesAsync([.. body.Prices!.Select(e => PriceSheet.Canonical(e!))], cancellationToken);
        await catalog.RefreshAsync(cancellationToken);
        return TypedResults.Ok(new PriceUpsertResponse(body.Prices!.Count));
    }

    [Function(nameof(QuotePrice))]
    [ProblemResponse(StatusCodes.Status400BadRequest, PriceApiErrors.CallsPerMonthInvalid, UsageErrors.FieldRequired, UsageErrors.FieldTooLong, UsageErrors.FieldInvalid, UsageErrors.IdTooLong, UsageErrors.DeploymentTypeInvalid, UsageErrors.TokensMissing, UsageErrors.TokensConflict, UsageErrors.TokensNegative, UsageErrors.TokensTooLarge, UsageErrors.TokensPartitionInput, UsageErrors.TokensPartitionOutput, UsageErrors.TokensTotalMismatch, UsageErrors.TimestampInvalid, UsageErrors.TimestampTooOld, UsageErrors.TimestampInFuture, UsageErrors.UnitsInvalid, UsageErrors.RequestHashInvalid, UsageErrors.TagsTooMany, UsageErrors.TagInvalid, UsageErrors.LatencyInvalid, UsageErrors.IdReserved, UsageErrors.BatchPriceReserved, UsageErrors.ProviderUnknown, UsageErrors.ProviderModelMismatch)]
    [Authorize(Policies.AnyKey)]
    [AcceptsJson(typeof(PriceQuoteRequest))]
    [EndpointSummary("Price a hypothetical call without recording it, to estimate a feature's cost before shipping it.")]
    public async Task<Results<Ok<PriceQuoteResponse>, ProblemHttpResult>> QuotePrice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/prices/quote")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<PriceQuoteRequest>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        // A quote is a usage event that has not happened: reuse the event rules, with placeholders for the
        // attribution a hypothetical call does not need.
        body!.Id ??= "quote";
        body.Team ??= "quote";
        body.Feature ??= "quote";
        var errors = new List<ValidationError>();
        if (body.CallsPerMonth is < 0 or > 10_000_000_000L)
        {
            errors.Add(new(PriceApiErrors.CallsPerMonthInvalid, "callsPerMonth", "callsPerMonth must lie between 0 and 10^10."));
        }

        var sheet = await catalog.GetSheetAsync(cancellationToken);
        var validated = validator.ValidateSingle(body, sheet, time.GetUtcNow());
        errors.AddRange(validated.Errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var e = validated.Value!;
        var cost = UsageCost.From(sheet.Price(e.PricingContext, e.Tokens));
        return TypedResults.Ok(new PriceQuoteResponse(
            !cost.Unpriced, cost.TotalUsd, cost, body.CallsPerMonth, body.CallsPerMonth is { } calls ? cost.TotalUsd * calls : null));
    }
}

/// <summary><c>PUT /api/prices</c> body.</summary>
public sealed record PriceSheetRequest(IReadOnlyList<PriceEntry?>? Prices);

/// <summary><c>GET /api/prices</c> answer: price entries, each with <c>origin</c> = <c>default</c> or <c>override</c>.</summary>
public sealed record PriceListResponse(IReadOnlyList<JsonObject> Prices, string? Next = null);

public sealed record PriceUpsertResponse(int Upserted);

/// <summary><c>POST /api/prices/quote</c> body: a usage event's fields (id, team and feature optional) plus an optional monthly volume.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class PriceQuoteRequest : UsageEventRequest
{
    /// <summary>Expected calls per month, to turn the per-call price into a monthly estimate.</summary>
    public long? CallsPerMonth { get; set; }
}

public sealed record PriceQuoteResponse(bool Priced, decimal CostUsd, UsageCost Breakdown, long? CallsPerMonth, decimal? MonthlyCostUsd);

/// <summary>Stable error codes of the prices endpoints (entry rules are in <see cref="PricingErrors"/>).</summary>
public static class PriceApiErrors
{
    public const string PricesEmpty = "price_list_empty";
    public const string PricesTooMany = "price_list_too_large";
    public const string PriceNull = "price_entry_null";
    public const string CallsPerMonthInvalid = "price_quote_calls_invalid";
}
