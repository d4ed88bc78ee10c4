namespace ControlPlane.Pricing;

/// <summary>
/// An immutable, thread-safe price sheet: the shipped defaults with admin overrides laid over them. Built once per
/// change and then only read, on the hot path of every ingest and authorization, so pricing a call is a dictionary
/// lookup and a short scan of pre-ranked candidates with precomputed rates: no allocation, no LINQ.
/// <para>
/// Which entry applies: same model (case-insensitive); same provider when the call names one; deployment type
/// unset or equal to the call's; effective at the call's timestamp. Among those, an override beats a default (an
/// admin's negotiated price means it), then a deployment-type-specific entry beats a general one, then the latest
/// <see cref="PriceEntry.EffectiveFrom"/> wins.
/// </para>
/// </summary>
public sealed class PriceSheet
{
    private const decimal PerMillion = 0.000001m;
    private const long MaxOutputTokens = 1_000_000_000;

    private readonly Dictionary<string, Candidate[]> _byModel;
    private readonly HashSet<PriceEntry> _overrides;

    private PriceSheet(IReadOnlyList<PriceEntry> entries, HashSet<PriceEntry> overrides)
    {
        Entries = entries;
        _overrides = overrides;
        _byModel = entries
            .GroupBy(e => e.Model, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(
                g => g.Key,
                g => g.Select(e => new Candidate(e, overrides.Contains(e)))
                    .OrderByDescending(c => c.IsOverride)
                    .ThenByDescending(c => c.Entry.DeploymentType is not null)
                    .ThenByDescending(c => c.Entry.EffectiveFrom ?? DateTimeOffset.MinValue)
                    .ToArray(),
                StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every entry in force, defaults first, overrides replacing defaults that share their key.</summary>
    public IReadOnlyList<PriceEntry> Entries { get; }

    /// <summary>
    /// Lays <paramref name="overrides"/> over <paramref name="defaults"/>. An override with the same key (provider,
    /// model, deployment type, effective date) replaces the default; any other override is added.
    /// </summary>
    public static PriceSheet Create(IEnumerable<PriceEntry> defaults, IEnumerable<PriceEntry> overrides)
    {
        var byKey = new Dictionary<PriceEntryKey, PriceEntry>();
        foreach (var entry in defaults)
        {
            byKey[PriceEntryKey.Of(entry)] = entry;
        }

        var overrideSet = new HashSet<PriceEntry>(ReferenceEqualityComparer.Instance);
        foreach (var entry in overrides)
        {
            byKey[PriceEntryKey.Of(entry)] = entry;
            overrideSet.Add(entry);
        }

        return new PriceSheet([.. byKey.Values], overrideSet);
    }

    /// <summary>True when the entry came from an admin override rather than the shipped sheet.</summary>
    public bool IsOverride(PriceEntry entry) => _overrides.Contains(entry);

    /// <summary>The rates that apply to a call with <paramref name="inputTokens"/> of prompt; false for an unknown model.</summary>
    public bool TryGetRates(in PricingContext context, long inputTokens, out EffectiveRates rates)
    {
        rates = default;
        if (context.Model is null || !_byModel.TryGetValue(context.Model, out var candidates))
        {
            return false;
        }

        foreach (var candidate in candidates)
        {
            var entry = candidate.Entry;
            if ((context.Provider is not null && !string.Equals(entry.Provider, context.Provider, StringComparison.OrdinalIgnoreCase))
                || (entry.DeploymentType is not null && !string.Equals(entry.DeploymentType, context.DeploymentType, StringComparison.OrdinalIgnoreCase))
                || entry.EffectiveFrom > context.Timestamp)
            {
                continue;
            }

            var batch = context.IsBatch;
            var tier = candidate.TierFor(inputTokens);
            var set = tier is null
                ? (batch ? candidate.Batch : candidate.Standard)
                : (batch ? tier.Batch : tier.Standard);
            rates = new EffectiveRates(set.Input, set.CachedInput, set.CacheWrite, set.Output, set.Reasoning, tier?.AboveInputTokens, batch, entry);
            return true;
        }

        return false;
    }

    /// <summary>The exact cost of a call; <see cref="CostBreakdown.Unpriced"/> when no entry matches.</summary>
    public CostBreakdown Price(in PricingContext context, in UsageTokens tokens)
    {
        if (!TryGetRates(context, tokens.InputTokens, out var rates))
        {
            return CostBreakdown.Unpriced;
        }

        var uncached = (tokens.InputTokens - tokens.CachedInputTokens - tokens.CacheWriteTokens) * rates.Input * PerMillion;
        var cached = tokens.CachedInputTokens * rates.CachedInput * PerMillion;
        var cacheWrite = tokens.CacheWriteTokens * rates.CacheWrite * PerMillion;
        var output = (tokens.OutputTokens - tokens.ReasoningTokens) * rates.Output * PerMillion;
        var reasoning = tokens.ReasoningTokens * rates.Reasoning * PerMillion;
        return new CostBreakdown(true, uncached, cached, cacheWrite, output, reasoning,
            uncached + cached + cacheWrite + output + reasoning, rates.TierAboveInputTokens, rates.Batch, rates.Entry);
    }

    /// <summary>
    /// The most a call can cost before it is made: every input token uncached and <paramref name="maxOutputTokens"/>
    /// at the output rate, at the tier the input selects. What a reservation must hold.
    /// </summary>
    public CostBreakdown PriceWorstCase(in PricingContext context, long inputTokens, long maxOutputTokens) =>
        Price(context, new UsageTokens(inputTokens, 0, 0, maxOutputTokens, 0));

    /// <summary>
    /// The largest output token count whose worst-case cost still fits in <paramref name="budgetUsd"/>, capped at
    /// 10^9; 0 when the input alone does not fit or the model is unknown.
    /// </summary>
    public long MaxAffordableOutputTokens(in PricingContext context, long inputTokens, decimal budgetUsd)
    {
        if (!TryGetRates(context, inputTokens, out var rates))
        {
            return 0;
        }

        var left = budgetUsd - (inputTokens * rates.Input * PerMillion);
        if (left < 0)
        {
            return 0;
        }

        if (rates.Output == 0 || left / rates.Output / PerMillion >= MaxOutputTokens)
        {
            return MaxOutputTokens;
        }

        var tokens = (long)decimal.Floor(left / rates.Output / PerMillion);

        // Decimal division rounds at the 28th digit; step back if that rounding let one token too many through.
        while (tokens > 0 && tokens * rates.Output * PerMillion > left)
        {
            tokens--;
        }

        return tokens;
    }

    private readonly record struct RateSet(decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output, decimal Reasoning)
    {
        public RateSet Discounted(decimal factor) =>
            new(Input * factor, CachedInput * factor, CacheWrite * factor, Output * factor, Reasoning * factor);
    }

    private sealed record TierRates(long AboveInputTokens, RateSet Standard, RateSet Batch);

    /// <summary>An entry with every rate it can produce resolved up front, so pricing does no fallback logic.</summary>
    private sealed class Candidate
    {
        public Candidate(PriceEntry entry, bool isOverride)
        {
            Entry = entry;
            IsOverride = isOverride;
            var factor = 1m - (entry.BatchDiscount ?? PriceEntry.DefaultBatchDiscount);
            var input = entry.InputPerMTok;
            var output = entry.OutputPerMTok;
            Standard = new RateSet(input, entry.CachedInputPerMTok ?? input, entry.CacheWritePerMTok ?? input, output, entry.ReasoningPerMTok ?? output);
            var batchOutput = entry.BatchOutputPerMTok ?? output * factor;
            Batch = new RateSet(
                entry.BatchInputPerMTok ?? input * factor,
                Standard.CachedInput * factor,
                Standard.CacheWrite * factor,
                batchOutput,
                entry.ReasoningPerMTok is { } reasoning ? reasoning * factor : batchOutput);
            Tiers = entry.Tiers is { Count: > 0 } tiers
                ? [.. tiers.OrderByDescending(t => t.AboveInputTokens).Select(t =>
                {
                    var set = new RateSet(t.InputPerMTok, t.CachedInputPerMTok ?? t.InputPerMTok, t.CacheWritePerMTok ?? t.InputPerMTok,
                        t.OutputPerMTok, t.ReasoningPerMTok ?? t.OutputPerMTok);
                    return new TierRates(t.AboveInputTokens, set, set.Discounted(factor));
                })]
                : [];
        }

        public PriceEntry Entry { get; }
        public bool IsOverride { get; }
        public RateSet Standard { get; }
        public RateSet Batch { get; }

        /// <summary>Highest threshold first.</summary>
        public TierRates[] Tiers { get; }

        public TierRates? TierFor(long inputTokens)
        {
            foreach (var tier in Tiers)
            {
                if (inputTokens > tier.AboveInputTokens)
                {
                    return tier;
                }
            }

            return null;
        }
    }
}

/// <summary>The identity an override replaces by: provider, model, deployment type (case-insensitive) and effective date.</summary>
public readonly record struct PriceEntryKey(string Provider, string Model, string? DeploymentType, DateTimeOffset? EffectiveFrom)
{
    public static PriceEntryKey Of(PriceEntry entry) => new(
        entry.Provider.ToLowerInvariant(), entry.Model.ToLowerInvariant(), entry.DeploymentType?.ToLowerInvariant(), entry.EffectiveFrom?.ToUniversalTime());
}
