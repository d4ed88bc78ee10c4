using ControlPlane.Budgets;
using ControlPlane.Pricing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Budgets;

/// <summary>What authorization does when storage is down: fail closed by default, open when a budget says so.</summary>
public sealed class BudgetServiceFailureTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly Definitions _definitions = new();
    private readonly Storage _storage = new();

    private BudgetService Service() => new(_definitions, _storage, _storage, _definitions, _clock, new BudgetOptions(), ex => ex is StorageDownException);

    private static AuthorizeCall Call() => new(
        new CallAttribution("search", "answers", null, "prod", "gpt-4o", null),
        new PricingContext("azure-openai", "gpt-4o", null, false, Now), 1000, 1000);

    private static Budget HardBudget(bool failClosed) => new()
    {
        Id = "b", Scope = new BudgetScope(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Daily, LimitUsd = 10m, FailClosed = failClosed,
    };

    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);

    [Fact]
    public async Task Authorize_StorageDownAndFailClosed_DeniesWithStorageUnavailable()
    {
        _definitions.Budgets.Add(HardBudget(failClosed: true));
        var service = Service();
        await service.GetDefinitionsAsync();
        _storage.Down = _definitions.Down = true;
        _clock.Advance(TimeSpan.FromMinutes(1));

        var result = await service.AuthorizeAsync(Call(), Sheet);

        Assert.False(result.Allowed);
        Assert.Equal(DenialReasons.StorageUnavailable, result.Reason);
        Assert.Equal("b", result.BudgetId);
    }

    [Fact]
    public async Task Authorize_StorageDownAndFailOpen_AllowsWithoutReservation()
    {
        _definitions.Budgets.Add(HardBudget(failClosed: false));
        var service = Service();
        await service.GetDefinitionsAsync();
        _storage.Down = _definitions.Down = true;
        _clock.Advance(TimeSpan.FromMinutes(1));

        var result = await service.AuthorizeAsync(Call(), Sheet);

        Assert.True(result.Allowed);
        Assert.Null(result.ReservationId);
    }

    [Fact]
    public async Task Authorize_StorageDownBeforeAnyDefinitionWasRead_FailsLoudly()
    {
        _definitions.Down = true;

        await Assert.ThrowsAsync<StorageDownException>(() => Service().AuthorizeAsync(Call(), Sheet));
    }

    [Fact]
    public async Task Authorize_BudgetContendedPastEveryRetryAndFailOpen_ThrowsContentionInsteadOfAllowingUnreserved()
    {
        _definitions.Budgets.Add(HardBudget(failClosed: false));
        _storage.Contended = true;

        var thrown = await Assert.ThrowsAsync<BudgetContentionException>(() => Service().AuthorizeAsync(Call(), Sheet));

        Assert.Equal("b", thrown.BudgetId);
    }

    private sealed class StorageDownException() : Exception("storage down");

    private sealed class Definitions : IBudgetStore, IIsolationStore
    {
        public List<Budget> Budgets { get; } = [];
        public bool Down { get; set; }

        public Task<IReadOnlyList<Budget>> ListAsync(CancellationToken cancellationToken = default) =>
            Down ? throw new StorageDownException() : Task.FromResult<IReadOnlyList<Budget>>([.. Budgets]);

        Task<IReadOnlyList<Isolation>> IIsolationStore.ListAsync(CancellationToken cancellationToken) =>
            Down ? throw new StorageDownException() : Task.FromResult<IReadOnlyList<Isolation>>([]);

        public Task<Budget?> GetAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ControlPlane.Paging.ListPage<Budget>> ListPageAsync(ControlPlane.Paging.PageRequest page, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task UpsertAsync(Budget budget, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task IsolateAsync(Isolation isolation, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<bool> LiftAsync(BudgetScope scope, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    /// <summary>Storage that is simply unreachable once <see cref="Down"/> is set.</summary>
    private sealed class Storage : IBudgetLedger, IReservationStore
    {
        public bool Down { get; set; }

        /// <summary>Storage answers, but the budget's row never holds still (precondition failures after all retries).</summary>
        public bool Contended { get; set; }

        private Task<T> Fail<T>() => Down ? throw new StorageDownException() : throw new NotSupportedException();

        public Task CreateAsync(Reservation reservation, CancellationToken cancellationToken = default) => Fail<bool>();
        public Task<Reservation?> GetAsync(string id, CancellationToken cancellationToken = default) => Fail<Reservation?>();
        public Task<Reservation?> ClaimAsync(string id, string eventId, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<Reservation?>();
        public Task<Reservation?> MarkReleasedAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<Reservation?>();
        public Task<int> DeleteExpiredBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) => Fail<int>();
        public string NewId(DateTimeOffset expiresAt) => "res_test";
        public Task<BudgetPeriodState> GetStateAsync(Budget budget, PeriodWindow window, CancellationToken cancellationToken = default) => Fail<BudgetPeriodState>();
        public Task<ReserveResult> TryReserveAsync(Budget budget, PeriodWindow window, string reservationId, decimal ceilingUsd, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            Contended ? throw new BudgetContentionException(budget.Id) : Fail<ReserveResult>();
        public Task<SettleResult> SettleAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<SettleResult>();
        public Task<bool> ReleaseAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<bool>();
        public Task<int> SweepAsync(Budget budget, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<int>();
        public Task ChargeAsync(Budget budget, PeriodWindow window, IReadOnlyList<BudgetCharge> charges, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<bool>();
        public Task ResetAsync(Budget budget, PeriodWindow window, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<bool>();
    }
}
