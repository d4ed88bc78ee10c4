using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Budgets;

/// <summary>
/// Issue 16, item 2: the clock crossing a period boundary while real parallel traffic runs. A hard monthly and a
/// hard daily budget on one team, November and its last day nearly spent; three instances on one storage account,
/// each with its own clock, all moved from 2026-11-30T23:59:58Z to 2026-12-01T00:00:02Z while 32 clients authorize,
/// settle, release, abandon, post usage stamped before midnight that arrives after it, and retry on another instance.
/// <para>
/// The expectations are computed from what the clients sent and these rules (DESIGN.md §3, README "Budgets"):
/// a reservation settles in the period it was held in, where its money is, whatever the event's timestamp and
/// whether or not the event is late; an event charged post hoc counts in the period of its own time, unless it
/// arrives more than the grace window (<c>LateGrace</c>, 15 minutes) after that time: then it counts in the period it
/// arrived in and is marked late. Cost queries keep every event at its own time.
/// </para>
/// <para>
/// <c>GET /api/budgets/{id}</c> shows the current period only. November, once closed, is read through a fourth
/// instance on the same storage whose clock stands at the last millisecond of November: instances share nothing but
/// storage, so it shows what any instance showed then.
/// </para>
/// gpt-4o on azure-openai costs $2.50 per million input tokens and $10 per million output tokens.
/// </summary>
public sealed class PeriodBoundaryTrafficTests
{
    private const decimal MonthlyLimitUsd = 1.00m;
    private const decimal DailyLimitUsd = 0.80m;

    /// <summary>
    /// What November spent before the traffic: $0.19 on the 29th, $0.60 on the 30th, leaving the month $0.21 and its
    /// last day $0.20. December's day has $0.80: more than all it can be asked for (one call per client crossing
    /// midnight, eight new calls, eight small late events, and the slack of leases), so post-hoc late spend never
    /// pushes it past its limit and every sample must stay within it.
    /// </summary>
    private const decimal SpentOnThe29thUsd = 0.19m;
    private const decimal SpentOnThe30thUsd = 0.60m;

    /// <summary>1,000 input tokens and at most 1,000 output tokens: the worst case every client reserves.</summary>
    private const decimal CeilingUsd = 0.0125m;

    private const int Clients = 32;
    private const int CallsBeforeMidnight = 8;
    private const string Daily = "search-daily";
    private const string Monthly = "search-monthly";

    private static readonly DateTimeOffset Midnight = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LastMillisecondOfNovember = Midnight.AddMilliseconds(-1);

    /// <summary>The reservation TTL (BudgetOptions' default): an authorization's <c>expiresAt</c> minus this is when it was made.</summary>
    private static readonly TimeSpan ReservationTtl = TimeSpan.FromMinutes(10);

    /// <summary>Twenty minutes before midnight: posted after midnight, more than the 15-minute grace window late.</summary>
    private static readonly DateTimeOffset TwentyToMidnight = Midnight.AddMinutes(-20);

    /// <summary>What each allowed reservation's client does with it, dealt round-robin over all clients so every kind happens.</summary>
    private enum Next
    {
        SettleNow,
        Release,
        SettleAfterMidnightWithinGrace,
        SettleNowAndRetryAfterMidnight,
        SettleAfterMidnightLate,
        SettleAfterMidnightOnTwoInstancesAtOnce,
        ReleaseAfterMidnight,
        Abandon,
    }

    /// <summary>A reservation a client holds: when it was made decides which period its money is in.</summary>
    private sealed record Held(string ReservationId, decimal CeilingUsd, bool InNovember, DateTimeOffset AskedAt);

    /// <summary>One event as a client sent it, with the moment whose budget periods the rules charge it to.</summary>
    private sealed record Sent(string Id, decimal CostUsd, DateTimeOffset Timestamp, DateTimeOffset ChargedAt, bool Late);

    private sealed record Sample(string BudgetId, DateTimeOffset PeriodStart, decimal SpentUsd, decimal ReservedUsd, decimal LimitUsd);

    [Fact]
    public async Task ClockCrossesMonthEnd_ThirtyTwoClientsOnThreeInstances_EachPeriodKeepsItsLimitAndIsChargedByTheRules()
    {
        var prefix = Testing.Azurite.NewTablePrefix();
        var apps = Enumerable.Range(0, 3)
            .Select(_ => new ControlPlaneApp(tablePrefix: prefix) { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero)) })
            .ToList();
        var november = new ControlPlaneApp(tablePrefix: prefix) { Clock = new FakeTimeProvider(LastMillisecondOfNovember) };
        try
        {
            await RunAsync(apps, november);
        }
        finally
        {
            foreach (var app in apps.Append(november))
            {
                await app.DisposeAsync();
            }
        }
    }

    private static async Task RunAsync(List<ControlPlaneApp> apps, ControlPlaneApp novemberView)
    {
        var admin = apps[0].Client();
        await admin.PutBudgetAsync(Monthly, new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = MonthlyLimitUsd, mode = "hard" });
        await admin.PutBudgetAsync(Daily, new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = DailyLimitUsd, mode = "hard" });
        var sent = new ConcurrentDictionary<string, Sent>(StringComparer.Ordinal);

        // November before the traffic: the month is at $0.79 of $1.00 and its last day at $0.60 of $0.80, so both
        // have room for about sixteen worst-case calls.
        await SendAsync(admin, sent, "on-the-29th", 76_000, 0, null, apps[0].Clock.GetUtcNow(), late: false);
        Advance(apps, TimeSpan.FromDays(1));
        await SendAsync(admin, sent, "on-the-30th", 240_000, 0, null, apps[0].Clock.GetUtcNow(), late: false);
        Advance(apps, TimeSpan.FromHours(12) - TimeSpan.FromSeconds(2));
        Assert.Equal(Midnight.AddSeconds(-2), apps[2].Clock.GetUtcNow());

        // Every host started before the clock moves (a host's first request starts it, which takes a while).
        var http = apps.Select(a => a.Client()).ToList();
        var views = new[] { novemberView.Client(), apps[1].Client() };
        foreach (var view in views)
        {
            await view.GetBudgetAsync(Daily);
        }

        var clocks = apps.Select(a => a.Clock).ToList();
        using var progress = new SemaphoreSlim(0);
        using var stopping = new CancellationTokenSource();
        var kinds = Enum.GetValues<Next>();
        var dealt = -1;
        var done = new ConcurrentBag<Next>();
        var deniedInNovember = 0;
        var allowedAfterMidnight = 0;

        // Requests asked before midnight and answered after it, by the clock of the instance that served them.
        var answeredAcrossMidnight = 0;
        void Answered(int instance, DateTimeOffset askedAt)
        {
            progress.Release();
            if (askedAt < Midnight && clocks[instance].GetUtcNow() >= Midnight)
            {
                Interlocked.Increment(ref answeredAcrossMidnight);
            }
        }

        // The clients' own books per period, as in BudgetConcurrencyTests: what they hold and what they spent. A
        // hold leaves them just before its settle or release is sent, so the server's books are never below these.
        var books = new object();
        decimal novemberBooks = 0, decemberBooks = 0, novemberWorst = 0, decemberWorst = 0;
        void Book(bool inNovember, decimal change)
        {
            lock (books)
            {
                if (inNovember)
                {
                    novemberBooks += change;
                    novemberWorst = Math.Max(novemberWorst, novemberBooks);
                }
                else
                {
                    decemberBooks += change;
                    decemberWorst = Math.Max(decemberWorst, decemberBooks);
                }
            }
        }

        var novemberFull = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pastMidnight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sampling = new CancellationTokenSource();
        var samples = new ConcurrentBag<Sample>();
        async Task SampleAsync()
        {
            foreach (var view in views)
            {
                foreach (var id in new[] { Daily, Monthly })
                {
                    var status = await view.GetBudgetAsync(id);
                    samples.Add(new Sample(id, status.GetProperty("periodStart").GetDateTimeOffset(), status.Money("spentUsd"), status.Money("reservedUsd"), status.Money("limitUsd")));
                }
            }
        }

        // Both periods watched throughout: November through the instance that stays in it, the current period
        // (November, then December) through a live one.
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                await SampleAsync();
            }
        });

        // The clock moves only once November is full (a client was denied), then 250 ms at a time after every eight
        // requests answered (or a quarter of a second, so it never waits on clients that have stopped), all three
        // instances together, through midnight and two seconds beyond.
        var driver = Task.Run(async () =>
        {
            try
            {
                await novemberFull.Task.WaitAsync(TimeSpan.FromMinutes(3), stopping.Token);
                while (await progress.WaitAsync(0, stopping.Token))
                {
                }

                for (var step = 1; step <= 16; step++)
                {
                    for (var answered = 0; answered < 8 && await progress.WaitAsync(TimeSpan.FromMilliseconds(250), stopping.Token); answered++)
                    {
                    }

                    Advance(apps, TimeSpan.FromMilliseconds(250));
                    if (step == 8)
                    {
                        pastMidnight.SetResult();
                    }
                }
            }
            catch (Exception ex)
            {
                pastMidnight.TrySetException(ex);
                throw;
            }
        });

        async Task<JsonElement> SettleAsync(int instance, Held held, string id, long outputTokens, DateTimeOffset timestamp, bool late)
        {
            var cost = Cost(1000, outputTokens);
            Book(held.InNovember, cost - held.CeilingUsd);
            var askedAt = clocks[instance].GetUtcNow();
            var e = await SendAsync(http[instance], sent, id, 1000, outputTokens, held.ReservationId, timestamp, late, ChargedAt(held));
            Answered(instance, askedAt);
            Assert.Equal("settled", e.GetProperty("reservation").GetString());
            return e;
        }

        async Task ReleaseAsync(int instance, Held held)
        {
            Book(held.InNovember, -held.CeilingUsd);
            var askedAt = clocks[instance].GetUtcNow();
            var released = await (await http[instance].DeleteAsync($"/api/reservations/{held.ReservationId}")).JsonAsync();
            Answered(instance, askedAt);
            Assert.Equal("released", released.GetProperty("status").GetString());
        }

        async Task<Held?> AuthorizeAsync(int instance)
        {
            var askedAt = clocks[instance].GetUtcNow();
            var answer = await http[instance].AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 1000);
            var answeredAt = clocks[instance].GetUtcNow();
            Answered(instance, askedAt);
            if (!answer.GetProperty("allowed").GetBoolean())
            {
                Assert.Equal("budget_exceeded", answer.GetProperty("reason").GetString());
                return null;
            }

            // The server decided between the client's two readings of its clock; when they straddle midnight, the
            // reservation's expiry (its TTL after the decision, checked to lie between them) says on which side.
            var madeAt = answer.GetProperty("expiresAt").GetDateTimeOffset() - ReservationTtl;
            Assert.InRange(madeAt, askedAt, answeredAt);
            var held = new Held(answer.GetProperty("reservationId").GetString()!, answer.Money("ceilingUsd"), madeAt < Midnight, askedAt);
            Assert.Equal(CeilingUsd, held.CeilingUsd);
            Book(held.InNovember, held.CeilingUsd);
            return held;
        }

        var clientsDone = false;
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Clients), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (client, ct) =>
            {
                var random = new Random(client);
                var later = new List<(Next Kind, Held Held, int Call)>();
                var retries = new List<(string Id, decimal CostUsd, int Call)>();

                // Before midnight: keep asking until this instance's clock reaches it. The last request may be
                // answered after midnight, by December.
                for (var call = 0; call < CallsBeforeMidnight && clocks[(client + call) % 3].GetUtcNow() < Midnight; call++)
                {
                    var here = (client + call) % 3;
                    var there = (client + call + 1) % 3;
                    if (await AuthorizeAsync(here) is not { } held)
                    {
                        if (clocks[here].GetUtcNow() < Midnight)
                        {
                            Interlocked.Increment(ref deniedInNovember);
                            novemberFull.TrySetResult();
                        }

                        continue;
                    }

                    var kind = kinds[Interlocked.Increment(ref dealt) % kinds.Length];
                    done.Add(kind);
                    switch (kind)
                    {
                        case Next.SettleNow or Next.SettleNowAndRetryAfterMidnight:
                            var id = $"now-{client}-{call}";
                            var outputTokens = random.Next(0, 901);
                            await SettleAsync(there, held, id, outputTokens, clocks[there].GetUtcNow(), late: false);
                            if (kind == Next.SettleNowAndRetryAfterMidnight)
                            {
                                retries.Add((id, Cost(1000, outputTokens), call));
                            }

                            break;
                        case Next.Release:
                            await ReleaseAsync(there, held);
                            break;
                        case Next.Abandon:
                            break; // The caller crashed: the hold stays until its TTL.
                        default:
                            later.Add((kind, held, call));
                            break;
                    }
                }

                await pastMidnight.Task.WaitAsync(ct);

                foreach (var (kind, held, call) in later)
                {
                    var there = (client + call + 1) % 3;
                    var id = $"after-{client}-{call}";
                    var outputTokens = random.Next(0, 901);
                    switch (kind)
                    {
                        case Next.SettleAfterMidnightWithinGrace:
                            // Stamped when the call was asked for, before midnight; seconds old when it arrives.
                            await SettleAsync(there, held, id, outputTokens, held.AskedAt, late: false);
                            break;
                        case Next.SettleAfterMidnightLate:
                            await SettleAsync(there, held, id, outputTokens, TwentyToMidnight.AddSeconds(client), late: true);
                            break;
                        case Next.SettleAfterMidnightOnTwoInstancesAtOnce:
                            var cost = Cost(1000, outputTokens);
                            Book(held.InNovember, cost - held.CeilingUsd);
                            var twice = await Task.WhenAll(
                                PostUsageAsync(http[there], id, 1000, outputTokens, held.ReservationId, held.AskedAt),
                                PostUsageAsync(http[(there + 1) % 3], id, 1000, outputTokens, held.ReservationId, held.AskedAt));
                            progress.Release();
                            Assert.Equal(["duplicate", "recorded"], twice.Select(e => e.GetProperty("status").GetString()).Order(StringComparer.Ordinal));
                            Assert.All(twice, e => Assert.Equal(cost, e.Money("costUsd")));
                            Assert.Equal("settled", twice.Single(e => e.GetProperty("status").GetString() == "recorded").GetProperty("reservation").GetString());
                            Assert.True(sent.TryAdd(id, new Sent(id, cost, held.AskedAt, ChargedAt(held), Late: false)));
                            break;
                        case Next.ReleaseAfterMidnight:
                            await ReleaseAsync(there, held);
                            break;
                        default:
                            throw new InvalidOperationException($"{kind} is not done after midnight.");
                    }
                }

                // The same ids again on another instance, after midnight, with other tokens: charged nothing.
                foreach (var (id, cost, call) in retries)
                {
                    var again = await PostUsageAsync(http[(client + call + 2) % 3], id, 1000, 5, null, clocks[(client + call + 2) % 3].GetUtcNow());
                    progress.Release();
                    Assert.Equal("duplicate", again.GetProperty("status").GetString());
                    Assert.Equal(cost, again.Money("costUsd"));
                }

                if (client % 4 == 0)
                {
                    // December opens with fresh headroom: allowed although November denied calls a moment ago.
                    var here = client % 3;
                    var held = await AuthorizeAsync(here);
                    Assert.NotNull(held);
                    Assert.False(held.InNovember);
                    Interlocked.Increment(ref allowedAfterMidnight);
                    await SettleAsync((here + 1) % 3, held, $"december-{client}", random.Next(0, 901), clocks[(here + 1) % 3].GetUtcNow(), late: false);
                }
                else if (client % 4 == 1)
                {
                    // Stamped twenty minutes before midnight, without a reservation: late, so charged to December.
                    Book(inNovember: false, Cost(100, client));
                    var e = await SendAsync(http[client % 3], sent, $"late-{client}", 100, client, null, TwentyToMidnight.AddSeconds(client), late: true, chargedAt: Midnight);
                    progress.Release();
                    Assert.False(e.TryGetProperty("reservation", out var reservation) && reservation.ValueKind != JsonValueKind.Null);
                }
            });
            await SampleAsync();
            clientsDone = true;
        }
        finally
        {
            // On a failed client, stop the clock's driver too rather than wait out its bound.
            await sampling.CancelAsync();
            if (!clientsDone)
            {
                await stopping.CancelAsync();
            }

            await sampler;
            await (clientsDone ? driver : Task.WhenAny(driver));
        }

        // The traffic did what it was meant to: November was full before midnight, every kind of call happened,
        // and the clock crossed midnight while the clients ran.
        Assert.True(deniedInNovember > 0);
        Assert.True(answeredAcrossMidnight > 0, "No request was in flight while the clock crossed midnight.");
        Assert.Equal(Clients / 4, allowedAfterMidnight);
        Assert.All(kinds, kind => Assert.Contains(kind, done));
        Assert.Equal(Midnight.AddSeconds(2), apps[0].Clock.GetUtcNow());

        // Never more than a limit in any period, by the clients' books or any sample of the server's.
        Assert.True(SpentOnThe30thUsd + novemberWorst <= DailyLimitUsd, $"Overshoot on November 30: {SpentOnThe30thUsd} + {novemberWorst} > {DailyLimitUsd}");
        Assert.True(SpentOnThe29thUsd + SpentOnThe30thUsd + novemberWorst <= MonthlyLimitUsd, $"Overshoot in November: {SpentOnThe29thUsd + SpentOnThe30thUsd} + {novemberWorst}");
        Assert.True(decemberWorst <= DailyLimitUsd, $"Overshoot on December 1: {decemberWorst} > {DailyLimitUsd}");
        Assert.All(samples, s => Assert.True(s.SpentUsd + s.ReservedUsd <= s.LimitUsd, $"{s.BudgetId} {s.PeriodStart:O}: spent {s.SpentUsd} + reserved {s.ReservedUsd} > {s.LimitUsd}"));
        Assert.Contains(samples, s => s.BudgetId == Daily && s.PeriodStart == Midnight.AddDays(-1));
        Assert.Contains(samples, s => s.BudgetId == Daily && s.PeriodStart == Midnight);
        Assert.Contains(samples, s => s.BudgetId == Monthly && s.PeriodStart == new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains(samples, s => s.BudgetId == Monthly && s.PeriodStart == Midnight);

        // After the TTL and the sweep no money is held in either period, and each period spent exactly what the
        // rules assign to it.
        Advance(apps, ReservationTtl + TimeSpan.FromMinutes(1));
        (await admin.PostJsonAsync("/admin/functions/ReservationExpirySweep", "{}")).EnsureSuccessStatusCode();
        var november = novemberView.Client();
        var expected = sent.Values.ToList();
        foreach (var (view, budgetId, period, limit) in new[]
        {
            (november, Daily, (Func<DateTimeOffset, bool>)(t => t.UtcDateTime.Date == new DateTime(2026, 11, 30)), DailyLimitUsd),
            (november, Monthly, t => t.Year == 2026 && t.Month == 11, MonthlyLimitUsd),
            (admin, Daily, t => t.UtcDateTime.Date == new DateTime(2026, 12, 1), DailyLimitUsd),
            (admin, Monthly, t => t.Year == 2026 && t.Month == 12, MonthlyLimitUsd),
        })
        {
            var budget = await view.GetBudgetAsync(budgetId);
            Assert.True(period(budget.GetProperty("periodStart").GetDateTimeOffset()));
            Assert.Equal(0m, budget.Money("reservedUsd"));
            Assert.Equal(expected.Where(e => period(e.ChargedAt)).Sum(e => e.CostUsd), budget.Money("spentUsd"));
            Assert.True(budget.Money("spentUsd") <= limit);
        }

        // The cost query keeps each event at its own time, and counts each id once; folding the rollups changes nothing.
        foreach (var fold in new[] { false, true })
        {
            if (fold)
            {
                await apps[0].RunTimerAsync("FoldUsageRollups");
            }

            foreach (var (from, to) in new[] { ("2026-11-01", "2026-12-01"), ("2026-11-30", "2026-12-01"), ("2026-12-01", "2027-01-01") })
            {
                var inRange = expected.Where(e => e.Timestamp >= Day(from) && e.Timestamp < Day(to)).ToList();
                var costs = await (await admin.GetAsync($"/api/costs?groupBy=team&from={from}&to={to}")).JsonAsync();
                Assert.Equal(inRange.Sum(e => e.CostUsd), costs.Money("totalCostUsd"));
                Assert.Equal(inRange.Count, costs.GetProperty("requests").GetInt64());
            }
        }

        // Each event in the ledger once, at the cost and time it was sent, late exactly when the grace rule says so.
        await Parallel.ForEachAsync(expected, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (e, ct) =>
        {
            var stored = await (await admin.GetAsync($"/api/usage/{e.Id}", ct)).JsonAsync();
            Assert.Equal(e.CostUsd, stored.Money("costUsd"));
            Assert.Equal(e.Timestamp, stored.GetProperty("timestamp").GetDateTimeOffset());
            Assert.Equal(e.Late, stored.GetProperty("late").GetBoolean());
        });
    }

    /// <summary>
    /// The rule for a reservation made in one period and settled in the next, one call at a time: it settles in the
    /// period its money was held in, whether the event is stamped after midnight, inside the grace window or late,
    /// and an overrun on it trips that period's switch; December opens armed and empty. Only a late event without
    /// a reservation reaches December.
    /// </summary>
    [Fact]
    public async Task ReservationHeldBeforeMidnight_SettledAfterIt_IsChargedToThePeriodItWasHeldIn()
    {
        var prefix = Testing.Azurite.NewTablePrefix();
        await using var app = new ControlPlaneApp(tablePrefix: prefix) { Clock = new FakeTimeProvider(Midnight.AddMinutes(-1)) };
        await using var novemberView = new ControlPlaneApp(tablePrefix: prefix) { Clock = new FakeTimeProvider(LastMillisecondOfNovember) };
        var admin = app.Client();
        var november = novemberView.Client();
        await admin.PutBudgetAsync(Monthly, new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = MonthlyLimitUsd, mode = "hard" });
        await admin.PutBudgetAsync(Daily, new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = DailyLimitUsd, mode = "hard" });
        var reservations = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            reservations.Add((await admin.AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 1000)).GetProperty("reservationId").GetString()!);
        }

        app.Clock.Advance(TimeSpan.FromSeconds(90));
        var sent = new ConcurrentDictionary<string, Sent>(StringComparer.Ordinal);
        var now = app.Clock.GetUtcNow();

        // Stamped after midnight, inside the grace window, late, and an overrun ($0.80 of input on a $0.0125 ceiling).
        var afterMidnight = await SendAsync(admin, sent, "stamped-after-midnight", 1000, 200, reservations[0], now, late: false, LastMillisecondOfNovember);
        var withinGrace = await SendAsync(admin, sent, "within-grace", 1000, 300, reservations[1], Midnight.AddSeconds(-30), late: false, LastMillisecondOfNovember);
        var late = await SendAsync(admin, sent, "late", 1000, 400, reservations[2], TwentyToMidnight, late: true, LastMillisecondOfNovember);
        var overrun = await SendAsync(admin, sent, "overrun", 320_000, 0, reservations[3], now, late: false, LastMillisecondOfNovember);
        Assert.All(new[] { afterMidnight, withinGrace, late, overrun }, e => Assert.Equal("settled", e.GetProperty("reservation").GetString()));
        Assert.True(late.GetProperty("late").GetBoolean());
        Assert.True(overrun.GetProperty("ceilingBreach").GetBoolean());
        await SendAsync(admin, sent, "late-unreserved", 1000, 500, null, TwentyToMidnight, late: true, Midnight);

        // Leased headroom nobody used comes back once its lease is folded.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        (await admin.PostJsonAsync("/admin/functions/ReservationExpirySweep", "{}")).EnsureSuccessStatusCode();

        var novemberDay = await november.GetBudgetAsync(Daily);
        Assert.Equal(0.0045m + 0.0055m + 0.0065m + 0.80m, novemberDay.Money("spentUsd"));
        Assert.Equal(0m, novemberDay.Money("reservedUsd"));
        Assert.Equal("tripped", novemberDay.GetProperty("killSwitch").GetString());
        Assert.Equal(novemberDay.Money("spentUsd"), (await november.GetBudgetAsync(Monthly)).Money("spentUsd"));

        foreach (var id in new[] { Daily, Monthly })
        {
            var december = await admin.GetBudgetAsync(id);
            Assert.Equal(Midnight, december.GetProperty("periodStart").GetDateTimeOffset());
            Assert.Equal(0.0075m, december.Money("spentUsd"));
            Assert.Equal("armed", december.GetProperty("killSwitch").GetString());
        }

        Assert.True((await admin.AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 1000)).GetProperty("allowed").GetBoolean());

        // The cost query keeps every event at its own time: the two calls stamped after midnight are December's.
        var novemberCosts = await (await admin.GetAsync("/api/costs?groupBy=team&from=2026-11-01&to=2026-12-01")).JsonAsync();
        var decemberCosts = await (await admin.GetAsync("/api/costs?groupBy=team&from=2026-12-01&to=2027-01-01")).JsonAsync();
        Assert.Equal(0.0055m + 0.0065m + 0.0075m, novemberCosts.Money("totalCostUsd"));
        Assert.Equal(0.0045m + 0.80m, decemberCosts.Money("totalCostUsd"));
    }

    private static void Advance(List<ControlPlaneApp> apps, TimeSpan by)
    {
        foreach (var app in apps)
        {
            app.Clock.Advance(by);
        }
    }

    private static decimal Cost(long inputTokens, long outputTokens) => (inputTokens * 2.50m + outputTokens * 10m) / 1_000_000m;

    private static DateTimeOffset Day(string date) => DateTimeOffset.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>A reservation settles in the period it was held in: represented by an instant inside that period.</summary>
    private static DateTimeOffset ChargedAt(Held held) => held.InNovember ? LastMillisecondOfNovember : Midnight;

    /// <summary>
    /// Posts one event, checks it was recorded at the expected cost and lateness, and notes it with the moment the
    /// rules charge it at: <paramref name="chargedAt"/> when given (a settlement, or a late event's arrival), else
    /// its own time.
    /// </summary>
    private static async Task<JsonElement> SendAsync(HttpClient client, ConcurrentDictionary<string, Sent> sent, string id, long inputTokens, long outputTokens,
        string? reservationId, DateTimeOffset timestamp, bool late, DateTimeOffset? chargedAt = null)
    {
        var cost = Cost(inputTokens, outputTokens);
        Assert.True(sent.TryAdd(id, new Sent(id, cost, timestamp, chargedAt ?? timestamp, late)), $"Event id {id} sent twice by the test");
        var e = await PostUsageAsync(client, id, inputTokens, outputTokens, reservationId, timestamp);
        Assert.Equal("recorded", e.GetProperty("status").GetString());
        Assert.Equal(cost, e.Money("costUsd"));
        Assert.Equal(late, e.TryGetProperty("late", out var marked) && marked.ValueKind == JsonValueKind.True);
        return e;
    }

    private static async Task<JsonElement> PostUsageAsync(HttpClient client, string id, long inputTokens, long outputTokens, string? reservationId, DateTimeOffset timestamp)
    {
        var response = await client.PostAsJsonAsync("/api/usage", new
        {
            id, timestamp = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens, outputTokens, reservationId,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("events")[0];
    }
}
