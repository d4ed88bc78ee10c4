using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using ControlPlane.Validation;

namespace ControlPlane.Pricing;

/// <summary>
/// The prices in force: the shipped defaults with an administrator's overrides on top. Immutable and
/// thread-safe; built once whenever prices change and then shared by every request. Everything a call
/// needs (defaults filled in, tiers sorted, batch rates discounted, candidates ranked) is worked out
/// when the sheet is built, so pricing a call is a dictionary lookup, a short scan and five
/// multiplications, without allocating.
/// </summary>
public sealed class PriceSheet
{
    /// <summary>Largest output token count <see cref="MaxAffordableOutputTokens"/> returns: far above any model's
    /// output limit, and what a free output rate gives instead of an unbounded count.</summary>
    public const long MaxAffordableOutputTokensCap = 1_000_000_000;

    private readonly FrozenDictionary<string, Candidate[]> _candidatesByModel;
    private readonly FrozenDictionary<string, KnownModel> _models;
    private readonly FrozenSet<PriceEntryKey> _overrideKeys;
    private readonly FrozenSet<string> _providers;

    private PriceSheet(
        IReadOnlyList<PriceEntry> entries,
        FrozenDictionary<string, Candidate[]> candidatesByModel,
        FrozenDictionary<string, KnownModel> models,
        FrozenSet<PriceEntryKey> overrideKeys)
    {
        Entries = entries;
        _candidatesByModel = candidatesByModel;
        _models = models;
        _overrideKeys = overrideKeys;

        // Every provider an entry names, plus every alias's target, so an alias never names an unknown provider.
        _providers = entries.Select(e => e.Provider).Concat(ProviderNames.Aliases.Values).ToFrozenSet(StringComparer.Ordinal);
        Providers = _providers.Order(StringComparer.Ordinal).ToArray().AsReadOnly();
    }

    /// <summary>A sheet that prices nothing.</summary>
    public static PriceSheet Empty { get; } = Create([], []);

    /// <summary>The effective entries: defaults in their order, each replaced in place by the override with the
    /// same <see cref="PriceEntryKey"/>, followed by the overrides that replace nothing.</summary>
    public IReadOnlyList<PriceEntry> Entries { get; }

    /// <summary>The canonical providers a call may name, sorted: those of the entries (defaults and overrides) and
    /// those <see cref="ProviderNames.Aliases"/> stand for. Entries' providers are stored canonical.</summary>
    public IReadOnlyList<string> Providers { get; }

    /// <summary>
    /// Builds a sheet. Within one list a later entry replaces an earlier one with the same key (upsert).
    /// </summary>
    /// <exception cref="ArgumentException">An entry is invalid (the message lists every
    /// <see cref="PriceEntryValidator"/> error). A wrong price is a configuration error: refusing to build
    /// the sheet is safer than mis-pricing calls.</exception>
    public static PriceSheet Create(IEnumerable<PriceEntry> defaults, IEnumerable<PriceEntry> overrides)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(overrides);

        var merged = new List<PriceEntry>();
        var indexByKey = new Dictionary<PriceEntryKey, int>();
        var overrideKeys = new HashSet<PriceEntryKey>();
        var errors = new List<ValidationError>();
        Merge(defaults, "defaults", isOverride: false);
        Merge(overrides, "overrides", isOverride: true);

        if (errors.Count > 0)
        {
            var message = new StringBuilder("The price sheet has invalid entries:");
            foreach (var error in errors)
            {
                message.Append(CultureInfo.InvariantCulture, $" {error.Field}: {error.Code} ({error.Message})");
            }

            throw new ArgumentException(message.ToString(), errors[0].Field.StartsWith("defaults", StringComparison.Ordinal) ? nameof(defaults) : nameof(overrides));
        }

        var frozenOverrideKeys = overrideKeys.ToFrozenSet();
        var candidatesByModel = new Dictionary<string, List<Candidate>>(StringComparer.OrdinalIgnoreCase);
        for (var order = 0; order < merged.Count; order++)
        {
            var entry = merged[order];
            if (!candidatesByModel.TryGetValue(entry.Model, out var candidates))
            {
                candidatesByModel[entry.Model] = candidates = [];
            }

            candidates.Add(new Candidate(entry, frozenOverrideKeys.Contains(PriceEntryKey.Of(entry)), order));
        }

        var ranked = new Dictionary<string, Candidate[]>(StringComparer.OrdinalIgnoreCase);
        var models = new Dictionary<string, KnownModel>(StringComparer.OrdinalIgnoreCase);
        foreach (var (model, candidates) in candidatesByModel)
        {
            var array = candidates.ToArray();
            Array.Sort(array, Candidate.CompareByRank);
            ranked[model] = array;

            // The first spelling in sheet order names the model, so recorded names do not depend on ranking.
            var providers = candidates.Select(c => c.Provider).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            models[model] = new KnownModel(candidates[0].Entry.Model, providers.AsReadOnly());
        }

        return new PriceSheet(
            merged.AsReadOnly(),
            ranked.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            models.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            frozenOverrideKeys);

        void Merge(IEnumerable<PriceEntry> entries, string listName, bool isOverride)
        {
            var index = 0;
            foreach (var entry in entries)
            {
                var field = string.Create(CultureInfo.InvariantCulture, $"{listName}[{index++}]");
                if (entry is null)
                {
                    throw new ArgumentException($"{field} is null.", isOverride ? nameof(overrides) : nameof(defaults));
                }

                var entryErrors = PriceEntryValidator.Validate(entry, field).ToList();
                if (entryErrors.Count > 0)
                {
                    errors.AddRange(entryErrors);
                    continue;
                }

                // Calls are matched under canonical names, so an override written " Azure" prices (and replaces)
                // what azure-openai prices instead of founding a provider no call can name.
                var canonical = Canonical(entry);
                var key = PriceEntryKey.Of(canonical);
                if (indexByKey.TryGetValue(key, out var existing))
                {
                    merged[existing] = canonical;
                }
                else
                {
                    indexByKey[key] = merged.Count;
                    merged.Add(canonical);
                }

                if (isOverride)
                {
                    overrideKeys.Add(key);
                }
            }
        }
    }

    /// <summary>
    /// The canonical names of a call's <paramref name="provider"/> and <paramref name="model"/>, and whether the sheet
    /// knows them: provider and model are compared without regard to case or surrounding whitespace, and provider
    /// aliases resolve to their canonical name. Callers refuse an unknown provider and a provider that does not
    /// price a model others do; an unknown model is still a call to record (unpriced).
    /// </summary>
    public ResolvedNames ResolveNames(string? provider, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var canonicalProvider = ProviderNames.Normalize(provider);
        var trimmed = model.Trim();
        var known = _models.TryGetValue(trimmed, out var entry);
        return new ResolvedNames(
            canonicalProvider,
            known ? entry!.Name : trimmed.ToLowerInvariant(),
            canonicalProvider is null || _providers.Contains(canonicalProvider),
            known ? entry!.Providers : []);
    }

    /// <summary>Whether the sheet's entry with <paramref name="entry"/>'s key came from an override rather than
    /// from the defaults.</summary>
    public bool IsOverride(PriceEntry entry) => _overrideKeys.Contains(PriceEntryKey.Of(entry));

    /// <summary>
    /// The rates that price a call with <paramref name="inputTokens"/> total input tokens, or <c>false</c> when
    /// no entry matches the model, provider, deployment type and timestamp of <paramref name="context"/>.
    /// </summary>
    public bool TryGetRates(in PricingContext context, long inputTokens, out EffectiveRates rates)
    {
        var candidate = Find(in context);
        if (candidate is null)
        {
            rates = default;
            return false;
        }

        var card = candidate.Select(inputTokens, IsBatch(in context));
        rates = new EffectiveRates
        {
            Input = card.Input,
            CachedInput = card.CachedInput,
            CacheWrite = card.CacheWrite,
            Output = card.Output,
            Reasoning = card.Reasoning,
            TierAboveInputTokens = card.TierAboveInputTokens,
            BatchPriced = card.BatchPriced,
            Entry = candidate.Entry,
        };
        return true;
    }

    /// <summary>
    /// Exact cost of a call: uncached input, cache reads, cache writes, non-reasoning output and reasoning,
    /// each at its rate. <see cref="CostBreakdown.Unpriced"/> when no entry matches.
    /// </summary>
    public CostBreakdown Price(in PricingContext context, in UsageTokens tokens)
    {
        var candidate = Find(in context);
        if (candidate is null)
        {
            return CostBreakdown.Unpriced;
        }

        var card = candidate.Select(tokens.InputTokens, IsBatch(in context));
        var uncachedInput = (tokens.InputTokens - tokens.CachedInputTokens - tokens.CacheWriteTokens) * card.InputPerToken;
        var cachedInput = tokens.CachedInputTokens * card.CachedInputPerToken;
        var cacheWrite = tokens.CacheWriteTokens * card.CacheWritePerToken;
        var output = (tokens.OutputTokens - tokens.ReasoningTokens) * card.OutputPerToken;
        var reasoning = tokens.ReasoningTokens * card.ReasoningPerToken;
        return new CostBreakdown
        {
            Priced = true,
            UncachedInputCost = uncachedInput,
            CachedInputCost = cachedInput,
            CacheWriteCost = cacheWrite,
            OutputCost = output,
            ReasoningCost = reasoning,
            TotalCost = uncachedInput + cachedInput + cacheWrite + output + reasoning,
            TierAboveInputTokens = card.TierAboveInputTokens,
            BatchPriced = card.BatchPriced,
            Entry = candidate.Entry,
        };
    }

    /// <summary>
    /// The most a call with <paramref name="inputTokens"/> input tokens and up to <paramref name="maxOutputTokens"/>
    /// output tokens can cost, which is what an authorization reserves: every input token uncached and every
    /// output token at the output rate, at the rates of the tier the input selects. Where an entry prices cache
    /// writes above uncached input (Anthropic: 1.25×) or reasoning above output, the dearer rate is used and the
    /// cost is reported under that kind, so the reservation is an upper bound of any usage the call can report.
    /// </summary>
    public CostBreakdown PriceWorstCase(in PricingContext context, long inputTokens, long maxOutputTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputTokens);
        var candidate = Find(in context);
        if (candidate is null)
        {
            return CostBreakdown.Unpriced;
        }

        var card = candidate.Select(inputTokens, IsBatch(in context));
        var inputCost = inputTokens * card.WorstInputPerToken;
        var outputCost = maxOutputTokens * card.WorstOutputPerToken;
        return new CostBreakdown
        {
            Priced = true,
            UncachedInputCost = card.WorstInput == WorstInputKind.Uncached ? inputCost : 0m,
            CachedInputCost = card.WorstInput == WorstInputKind.CacheRead ? inputCost : 0m,
            CacheWriteCost = card.WorstInput == WorstInputKind.CacheWrite ? inputCost : 0m,
            OutputCost = card.WorstOutputIsReasoning ? 0m : outputCost,
            ReasoningCost = card.WorstOutputIsReasoning ? outputCost : 0m,
            TotalCost = inputCost + outputCost,
            TierAboveInputTokens = card.TierAboveInputTokens,
            BatchPriced = card.BatchPriced,
            Entry = candidate.Entry,
        };
    }

    /// <summary>
    /// The largest output token count whose <see cref="PriceWorstCase"/> cost fits in <paramref name="budgetUsd"/>:
    /// 0 when even the input does not fit or the model is unpriced (the caller decides whether unpriced calls may
    /// run), at most <see cref="MaxAffordableOutputTokensCap"/>.
    /// </summary>
    public long MaxAffordableOutputTokens(in PricingContext context, long inputTokens, decimal budgetUsd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        var candidate = Find(in context);
        if (candidate is null)
        {
            return 0;
        }

        var card = candidate.Select(inputTokens, IsBatch(in context));
        var inputCost = inputTokens * card.WorstInputPerToken;
        if (inputCost > budgetUsd)
        {
            return 0;
        }

        var perToken = card.WorstOutputPerToken;
        var remaining = budgetUsd - inputCost;
        if (remaining >= MaxAffordableOutputTokensCap * perToken)
        {
            return MaxAffordableOutputTokensCap;
        }

        // perToken > 0 here and the quotient is below the cap. Decimal division rounds to nearest in its last
        // digit, which can round a quotient just below an integer up to it (never below the floor of the exact
        // quotient), so the estimate is corrected against the exact multiplication PriceWorstCase performs.
        var affordable = (long)decimal.Floor(remaining / perToken);
        while (affordable > 0 && inputCost + (affordable * perToken) > budgetUsd)
        {
            affordable--;
        }

        return affordable;
    }

    private Candidate? Find(in PricingContext context)
    {
        var model = context.Model;
        if (model is null || !_candidatesByModel.TryGetValue(model, out var candidates))
        {
            return null;
        }

        // Candidates are ranked best first, so the first one in force for this call is the winner.
        var provider = context.Provider;
        var deploymentType = context.DeploymentType;
        var timestamp = context.Timestamp.UtcTicks;
        foreach (var candidate in candidates)
        {
            if (candidate.EffectiveFromUtcTicks <= timestamp
                && (string.IsNullOrEmpty(provider) || string.Equals(candidate.Provider, provider, StringComparison.OrdinalIgnoreCase))
                && (candidate.DeploymentType is null || string.Equals(candidate.DeploymentType, deploymentType, StringComparison.OrdinalIgnoreCase)))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary><paramref name="entry"/> under the names calls are matched by: its provider canonical
    /// (<see cref="ProviderNames.Normalize"/>), its model trimmed. The entry itself when both already are.</summary>
    public static PriceEntry Canonical(PriceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var provider = ProviderNames.Normalize(entry.Provider)!;
        var model = entry.Model.Trim();
        return provider == entry.Provider && model == entry.Model ? entry : entry with { Provider = provider, Model = model };
    }

    private static bool IsBatch(in PricingContext context) =>
        context.Batch || DeploymentTypes.IsBatch(context.DeploymentType);

    private enum WorstInputKind
    {
        Uncached,
        CacheRead,
        CacheWrite,
    }

    /// <summary>A model the sheet prices: its spelling in the sheet and the providers that price it.</summary>
    private sealed record KnownModel(string Name, IReadOnlyList<string> Providers);

    /// <summary>One entry, prepared for the hot path.</summary>
    private sealed class Candidate
    {
        private readonly RateCard _standard;
        private readonly RateCard _batch;
        private readonly long[] _tierThresholds;
        private readonly RateCard[] _tierStandard;
        private readonly RateCard[] _tierBatch;

        public Candidate(PriceEntry entry, bool isOverride, int order)
        {
            Entry = entry;
            Provider = entry.Provider;
            DeploymentType = entry.DeploymentType;
            EffectiveFromUtcTicks = entry.EffectiveFrom?.UtcTicks ?? long.MinValue;
            IsOverride = isOverride;
            Order = order;

            var input = entry.InputPerMTok;
            var output = entry.OutputPerMTok;
            var cachedInput = entry.CachedInputPerMTok ?? input;
            var cacheWrite = entry.CacheWritePerMTok ?? input;
            _standard = new RateCard(input, cachedInput, cacheWrite, output, entry.ReasoningPerMTok ?? output, null, batchPriced: false);

            var factor = 1m - (entry.BatchDiscount ?? PriceEntry.DefaultBatchDiscount);
            if (DeploymentTypes.IsBatch(entry.DeploymentType))
            {
                // An entry written for batch deployments states batch prices; discounting them again would
                // under-report spend.
                _batch = _standard.AsBatch(1m);
            }
            else
            {
                var batchOutput = entry.BatchOutputPerMTok ?? output * factor;
                _batch = new RateCard(
                    entry.BatchInputPerMTok ?? input * factor,
                    cachedInput * factor,
                    cacheWrite * factor,
                    batchOutput,
                    entry.ReasoningPerMTok is { } reasoning ? reasoning * factor : batchOutput,
                    null,
                    batchPriced: true);
            }

            var tiers = entry.Tiers ?? [];
            var sorted = tiers.OrderBy(t => t.AboveInputTokens).ToArray();
            _tierThresholds = new long[sorted.Length];
            _tierStandard = new RateCard[sorted.Length];
            _tierBatch = new RateCard[sorted.Length];
            var tierFactor = DeploymentTypes.IsBatch(entry.DeploymentType) ? 1m : factor;
            for (var i = 0; i < sorted.Length; i++)
            {
                var tier = sorted[i];
                _tierThresholds[i] = tier.AboveInputTokens;
                _tierStandard[i] = new RateCard(
                    tier.InputPerMTok,
                    tier.CachedInputPerMTok ?? tier.InputPerMTok,
                    tier.CacheWritePerMTok ?? tier.InputPerMTok,
                    tier.OutputPerMTok,
                    tier.ReasoningPerMTok ?? tier.OutputPerMTok,
                    tier.AboveInputTokens,
                    batchPriced: false);
                _tierBatch[i] = _tierStandard[i].AsBatch(tierFactor);
            }
        }

        public PriceEntry Entry { get; }

        public string Provider { get; }

        public string? DeploymentType { get; }

        public long EffectiveFromUtcTicks { get; }

        public bool IsOverride { get; }

        public int Order { get; }

        public static int CompareByRank(Candidate? x, Candidate? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);

            // An administrator's negotiated price means it, then a specific deployment type beats a general
            // entry, then the latest price in force wins; ties keep sheet order so ranking is deterministic.
            var byOverride = y.IsOverride.CompareTo(x.IsOverride);
            if (byOverride != 0)
            {
                return byOverride;
            }

            var bySpecificity = (y.DeploymentType is not null).CompareTo(x.DeploymentType is not null);
            if (bySpecificity != 0)
            {
                return bySpecificity;
            }

            var byEffectiveFrom = y.EffectiveFromUtcTicks.CompareTo(x.EffectiveFromUtcTicks);
            return byEffectiveFrom != 0 ? byEffectiveFrom : x.Order.CompareTo(y.Order);
        }

        public RateCard Select(long inputTokens, bool batch)
        {
            // A tier prices the whole call when the total input is strictly above its threshold; the highest
            // such threshold wins.
            for (var i = _tierThresholds.Length - 1; i >= 0; i--)
            {
                if (inputTokens > _tierThresholds[i])
                {
                    return batch ? _tierBatch[i] : _tierStandard[i];
                }
            }

            return batch ? _batch : _standard;
        }
    }

    /// <summary>Rates per million tokens, and the same rates per token so a call costs one multiplication per kind.</summary>
    private sealed class RateCard
    {
        private const decimal TokensPerMillion = 0.000001m;

        public RateCard(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, long? tierAboveInputTokens, bool batchPriced)
        {
            Input = input;
            CachedInput = cachedInput;
            CacheWrite = cacheWrite;
            Output = output;
            Reasoning = reasoning;
            TierAboveInputTokens = tierAboveInputTokens;
            BatchPriced = batchPriced;

            // Multiplying by 10^-6 only shifts the decimal scale, so per-token rates are exact.
            InputPerToken = input * TokensPerMillion;
            CachedInputPerToken = cachedInput * TokensPerMillion;
            CacheWritePerToken = cacheWrite * TokensPerMillion;
            OutputPerToken = output * TokensPerMillion;
            ReasoningPerToken = reasoning * TokensPerMillion;

            WorstInput = WorstInputKind.Uncached;
            WorstInputPerToken = InputPerToken;
            if (CachedInputPerToken > WorstInputPerToken)
            {
                WorstInput = WorstInputKind.CacheRead;
                WorstInputPerToken = CachedInputPerToken;
            }

            if (CacheWritePerToken > WorstInputPerToken)
            {
                WorstInput = WorstInputKind.CacheWrite;
                WorstInputPerToken = CacheWritePerToken;
            }

            WorstOutputIsReasoning = ReasoningPerToken > OutputPerToken;
            WorstOutputPerToken = WorstOutputIsReasoning ? ReasoningPerToken : OutputPerToken;
        }

        public decimal Input { get; }

        public decimal CachedInput { get; }

        public decimal CacheWrite { get; }

        public decimal Output { get; }

        public decimal Reasoning { get; }

        public long? TierAboveInputTokens { get; }

        public bool BatchPriced { get; }

        public decimal InputPerToken { get; }

        public decimal CachedInputPerToken { get; }

        public decimal CacheWritePerToken { get; }

        public decimal OutputPerToken { get; }

        public decimal ReasoningPerToken { get; }

        public WorstInputKind WorstInput { get; }

        public decimal WorstInputPerToken { get; }

        public bool WorstOutputIsReasoning { get; }

        public decimal WorstOutputPerToken { get; }

        public RateCard AsBatch(decimal factor) => new(
            Input * factor,
            CachedInput * factor,
            CacheWrite * factor,
            Output * factor,
            Reasoning * factor,
            TierAboveInputTokens,
            batchPriced: true);
    }
}
