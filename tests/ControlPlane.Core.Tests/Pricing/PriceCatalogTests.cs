using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Pricing;

public sealed class PriceCatalogTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly FlakyPriceStore _store = new();

    [Fact]
    public async Task GetSheet_StorageDownWhenTheSheetIsDue_KeepsPricingWithTheLastSheetLoaded()
    {
        var catalog = new PriceCatalog(_store, _clock, new PricingOptions(), ex => ex is TimeoutException);
        var loaded = await catalog.GetSheetAsync();

        _clock.Advance(new PricingOptions().RefreshInterval + TimeSpan.FromSeconds(1));
        _store.Failure = new TimeoutException("storage did not answer");

        Assert.Same(loaded, await catalog.GetSheetAsync());
        Assert.Equal(2, _store.Reads);
    }

    [Fact]
    public async Task GetSheet_StorageDownBeforeAnySheetWasLoaded_Throws()
    {
        var catalog = new PriceCatalog(_store, _clock, new PricingOptions(), ex => ex is TimeoutException);
        _store.Failure = new TimeoutException("storage did not answer");

        await Assert.ThrowsAsync<TimeoutException>(async () => await catalog.GetSheetAsync());
    }

    [Fact]
    public async Task GetSheet_StorageBackAfterAnOutage_LoadsTheNewOverrides()
    {
        var catalog = new PriceCatalog(_store, _clock, new PricingOptions(), ex => ex is TimeoutException);
        var before = await catalog.GetSheetAsync();
        _clock.Advance(new PricingOptions().RefreshInterval + TimeSpan.FromSeconds(1));
        _store.Failure = new TimeoutException("storage did not answer");
        await catalog.GetSheetAsync();

        _store.Failure = null;

        Assert.NotSame(before, await catalog.GetSheetAsync());
    }

    private sealed class FlakyPriceStore : IPriceStore
    {
        public Exception? Failure { get; set; }

        public int Reads { get; private set; }

        public Task<IReadOnlyList<PriceEntry>> GetOverridesAsync(CancellationToken cancellationToken = default)
        {
            Reads++;
            return Failure is { } failure ? Task.FromException<IReadOnlyList<PriceEntry>>(failure) : Task.FromResult<IReadOnlyList<PriceEntry>>([]);
        }

        public Task UpsertOverridesAsync(IReadOnlyList<PriceEntry> entries, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
