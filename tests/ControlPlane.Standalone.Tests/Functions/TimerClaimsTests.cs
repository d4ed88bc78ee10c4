using ControlPlane.Azure.Storage;
using ControlPlane.Testing;

namespace ControlPlane.Standalone.Functions;

/// <summary>Several standalone hosts on one storage account run each occurrence of a timer once.</summary>
public sealed class TimerClaimsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TwentyHostsRacingForOneOccurrence_ExactlyOneRunsIt()
    {
        var prefix = Azurite.NewTablePrefix();
        var hosts = Enumerable.Range(0, 20).Select(_ => new TimerClaims(new TableProvider(new StorageOptions { ConnectionString = Azurite.ConnectionString, TablePrefix = prefix }))).ToList();

        var first = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.TryClaimAsync("NightlyTimer", At, CancellationToken.None))));
        var next = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.TryClaimAsync("NightlyTimer", At.AddDays(1), CancellationToken.None))));

        Assert.Equal(1, first.Count(won => won));
        Assert.Equal(1, next.Count(won => won));
    }

    [Fact]
    public async Task ClaimedOccurrence_IsNotRunAgainNorAnOlderOne_ButAnotherTimerIsIndependent()
    {
        var claims = new TimerClaims(new TableProvider(new StorageOptions { ConnectionString = Azurite.ConnectionString, TablePrefix = Azurite.NewTablePrefix() }));

        Assert.True(await claims.TryClaimAsync("Sweep", At, CancellationToken.None));
        Assert.False(await claims.TryClaimAsync("Sweep", At, CancellationToken.None));
        Assert.False(await claims.TryClaimAsync("Sweep", At.AddMinutes(-1), CancellationToken.None));
        Assert.True(await claims.TryClaimAsync("OtherTimer", At, CancellationToken.None));
        Assert.True(await claims.TryClaimAsync("Sweep", At.AddMinutes(1), CancellationToken.None));
    }

    [Theory]
    [InlineData("PUT")]  // moving the row to the next occurrence: the retry is refused 412
    [InlineData("POST")] // the timer's first claim: the retry is refused 409
    public async Task ClaimWrite_LandsButItsAnswerIsLost_TheRetryRefusedByOurOwnClaimStillRunsIt(string write)
    {
        await using var proxy = new LostAnswerProxy(Azurite.ConnectionString);
        await proxy.StartAsync();
        var prefix = Azurite.NewTablePrefix();
        var timeout = TimeSpan.FromSeconds(1);
        var host = new TimerClaims(new TableProvider(new StorageOptions { ConnectionString = proxy.ConnectionString, TablePrefix = prefix, NetworkTimeout = timeout }));
        var other = new TimerClaims(new TableProvider(new StorageOptions { ConnectionString = Azurite.ConnectionString, TablePrefix = prefix }));
        var occurrence = write == "PUT" ? At.AddDays(1) : At;
        if (write == "PUT")
        {
            Assert.True(await host.TryClaimAsync("NightlyTimer", At, CancellationToken.None));
        }

        proxy.HoldNextAnswer(r => r.Method == write && r.Path.Value!.Contains(TimerClaims.TableName, StringComparison.Ordinal), timeout * 3);
        var claimed = await host.TryClaimAsync("NightlyTimer", occurrence, CancellationToken.None);

        Assert.Equal(1, proxy.Held);
        Assert.True(claimed, "The host's own claim landed; refusing its retry must not leave the occurrence unrun");
        Assert.False(await other.TryClaimAsync("NightlyTimer", occurrence, CancellationToken.None));
    }
}
