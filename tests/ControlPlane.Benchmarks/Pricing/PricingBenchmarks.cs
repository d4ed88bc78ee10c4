using BenchmarkDotNet.Attributes;
using ControlPlane.Pricing;

namespace ControlPlane.Benchmarks.Pricing;

/// <summary>
/// The pricing hot path: every usage event is priced and every authorization prices its worst case.
/// Target: <see cref="PriceSheet.Price"/> at most 250 ns and 0 bytes allocated per call, on the shipped sheet
/// plus an override, so lookups see realistic candidate lists.
/// </summary>
[MemoryDiagnoser]
public class PricingBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private IReadOnlyList<PriceEntry> _defaults = null!;
    private PriceSheet _sheet = null!;
    private PricingContext _chat;
    private UsageTokens _chatTokens;
    private PricingContext _dataZone;
    private PricingContext _longContext;
    private UsageTokens _longContextTokens;
    private PricingContext _batch;
    private PricingContext _unknown;

    [GlobalSetup]
    public void Setup()
    {
        var negotiated = new PriceEntry
        {
            Provider = "azure-openai",
            Model = "gpt-4o",
            DeploymentType = DeploymentTypes.Global,
            EffectiveFrom = Now.AddDays(-30),
            InputPerMTok = 2.25m,
            CachedInputPerMTok = 1.1m,
            OutputPerMTok = 9m,
        };
        _defaults = DefaultPriceSheet.Load();
        _sheet = PriceSheet.Create(_defaults, [negotiated]);

        _chat = new PricingContext { Provider = "azure-openai", Model = "gpt-5", DeploymentType = DeploymentTypes.Global, Timestamp = Now };
        _chatTokens = new UsageTokens { InputTokens = 12_000, CachedInputTokens = 8_000, OutputTokens = 900, ReasoningTokens = 300 };
        _dataZone = new PricingContext { Provider = "azure-openai", Model = "gpt-4o", DeploymentType = DeploymentTypes.DataZone, Timestamp = Now };
        _longContext = new PricingContext { Provider = "anthropic", Model = "claude-sonnet-4-5", Timestamp = Now };
        _longContextTokens = new UsageTokens { InputTokens = 250_000, CachedInputTokens = 100_000, CacheWriteTokens = 50_000, OutputTokens = 4_000 };
        _batch = new PricingContext { Provider = "openai", Model = "gpt-4.1", Batch = true, Timestamp = Now };
        _unknown = new PricingContext { Provider = "openai", Model = "no-such-model", Timestamp = Now };
    }

    /// <summary>
    /// Baseline: the obvious implementation, filtering and ranking every entry with LINQ on each call, so the
    /// ratio shows what the pre-ranked, precomputed sheet buys on the same machine in the same run.
    /// </summary>
    [Benchmark(Baseline = true)]
    public decimal NaiveLinqPriceChat()
    {
        var context = _chat;
        var entry = _defaults
            .Where(e => string.Equals(e.Model, context.Model, StringComparison.OrdinalIgnoreCase)
                && string.Equals(e.Provider, context.Provider, StringComparison.OrdinalIgnoreCase)
                && (e.DeploymentType is null || string.Equals(e.DeploymentType, context.DeploymentType, StringComparison.OrdinalIgnoreCase))
                && (e.EffectiveFrom is null || e.EffectiveFrom <= context.Timestamp))
            .OrderByDescending(e => e.DeploymentType is not null)
            .ThenByDescending(e => e.EffectiveFrom ?? DateTimeOffset.MinValue)
            .First();
        var t = _chatTokens;
        return (((t.InputTokens - t.CachedInputTokens) * entry.InputPerMTok) + (t.CachedInputTokens * (entry.CachedInputPerMTok ?? entry.InputPerMTok))
            + (t.OutputTokens * entry.OutputPerMTok)) / 1_000_000m;
    }

    [Benchmark]
    public CostBreakdown PriceChat() => _sheet.Price(in _chat, in _chatTokens);

    [Benchmark]
    public CostBreakdown PriceDataZone() => _sheet.Price(in _dataZone, in _chatTokens);

    [Benchmark]
    public CostBreakdown PriceLongContextTier() => _sheet.Price(in _longContext, in _longContextTokens);

    [Benchmark]
    public CostBreakdown PriceBatch() => _sheet.Price(in _batch, in _chatTokens);

    [Benchmark]
    public CostBreakdown PriceUnknownModel() => _sheet.Price(in _unknown, in _chatTokens);

    [Benchmark]
    public CostBreakdown PriceWorstCase() => _sheet.PriceWorstCase(in _chat, 12_000, 4_096);

    [Benchmark]
    public long MaxAffordableOutputTokens() => _sheet.MaxAffordableOutputTokens(in _longContext, 250_000, 2.5m);

    /// <summary>Building the sheet happens when prices change, not per call; measured to keep it cheap.</summary>
    [Benchmark]
    public PriceSheet Create() => PriceSheet.Create(_defaults, []);
}
