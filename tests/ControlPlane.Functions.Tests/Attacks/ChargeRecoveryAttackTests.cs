using System.Net;
using System.Net.Http.Json;
using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ControlPlane.Attacks;

/// <summary>
/// Killed between recording and charging, or contended past every retry (issue 9, holes 4 and 10): the ledger
/// stays the one source of charges, nothing is lost, nothing is doubled, and contention is never an outage.
/// </summary>
public sealed class ChargeRecoveryAttackTests : IAsyncLifetime
{
    private readonly FaultyLedger _faults = new();
    private ControlPlaneApp _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _app = new ControlPlaneApp(services: services =>
        {
            services.RemoveAll<IBudgetLedger>();
            services.AddSingleton<IBudgetLedger>(sp => _faults.Around(sp.GetRequiredService<TableBudgetLedger>()));
        });
        _admin = _app.Client();
        await _admin.PutBudgetAsync("daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m, mode = "hard" });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task CrashAfterRecording_ClientRetries_TheRetryChargesOnceFromTheLedgersCopy()
    {
        _faults.FailNextCharge = new HttpRequestException("instance killed");
        var failed = await _admin.PostAsJsonAsync("/api/usage", Usage("crashed", 100_000));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(0m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));

        // The retry names the same id with another payload: it is a duplicate, and the recorded event is charged.
        var retry = await (await _admin.PostAsJsonAsync("/api/usage", Usage("crashed", 200_000))).JsonAsync();
        Assert.Equal("duplicate", retry.GetProperty("events")[0].GetProperty("status").GetString());
        await _admin.PostAsJsonAsync("/api/usage", Usage("crashed", 300_000));

        Assert.Equal(0.25m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));
    }

    [Fact]
    public async Task CrashAfterRecording_ClientNeverRetries_TheSweepChargesItOnce()
    {
        _faults.FailNextCharge = new HttpRequestException("instance killed");
        await _admin.PostAsJsonAsync("/api/usage", Usage("abandoned", 100_000));

        await Sweep();
        Assert.Equal(0m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));
        _app.Clock.Advance(TimeSpan.FromMinutes(2));
        await Sweep();
        await Sweep();

        Assert.Equal(0.25m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));
    }

    [Fact]
    public async Task Contention_OnAFailOpenBudget_Answers503BudgetContention_NeverAnUnreservedAllow()
    {
        await _admin.PutBudgetAsync("open", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m, mode = "hard", failClosed = false });
        _faults.ContendReservations = true;

        var response = await _admin.PostAsJsonAsync("/api/authorize", new { team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 10, maxOutputTokens = 10 });

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "budget_contention");
        _faults.ContendReservations = false;

        // The hold already taken on the other budget went back; once its lease folds nothing is left reserved.
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        await Sweep();
        Assert.Equal(0m, (await _admin.GetBudgetAsync("open")).Money("reservedUsd"));
        Assert.Equal(0m, (await _admin.GetBudgetAsync("daily")).Money("reservedUsd"));
        Assert.Equal(0m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));
    }

    private async Task Sweep() =>
        (await _admin.PostJsonAsync("/admin/functions/ReservationExpirySweep", "{}")).EnsureSuccessStatusCode();

    private static object Usage(string id, long inputTokens) =>
        new { id, team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens, outputTokens = 0 };

    /// <summary>The real ledger, with a fault injected where a test asks for one.</summary>
    private sealed class FaultyLedger
    {
        public Exception? FailNextCharge { get; set; }
        public bool ContendReservations { get; set; }

        public IBudgetLedger Around(IBudgetLedger inner) => new Wrapper(inner, this);

        private sealed class Wrapper(IBudgetLedger inner, FaultyLedger faults) : IBudgetLedger
        {
            public Task<BudgetPeriodState> GetStateAsync(Budget budget, PeriodWindow window, CancellationToken cancellationToken = default) => inner.GetStateAsync(budget, window, cancellationToken);

            public Task<ReserveResult> TryReserveAsync(Budget budget, PeriodWindow window, string reservationId, decimal ceilingUsd, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
                faults.ContendReservations && budget.Id == "open"
                    ? throw new BudgetContentionException(budget.Id)
                    : inner.TryReserveAsync(budget, window, reservationId, ceilingUsd, expiresAt, cancellationToken);

            public Task<SettleResult> SettleAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken = default) =>
                inner.SettleAsync(budget, window, holdRef, reservationId, eventId, actualUsd, now, cancellationToken);

            public Task<bool> ReleaseAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
                inner.ReleaseAsync(budget, window, holdRef, reservationId, now, cancellationToken);

            public Task<int> SweepAsync(Budget budget, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.SweepAsync(budget, now, cancellationToken);

            public Task ChargeAsync(Budget budget, PeriodWindow window, IReadOnlyList<BudgetCharge> charges, DateTimeOffset now, CancellationToken cancellationToken = default)
            {
                if (faults.FailNextCharge is { } failure)
                {
                    faults.FailNextCharge = null;
                    throw failure;
                }

                return inner.ChargeAsync(budget, window, charges, now, cancellationToken);
            }

            public Task ResetAsync(Budget budget, PeriodWindow window, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.ResetAsync(budget, window, now, cancellationToken);
        }
    }
}
