using ControlPlane.Azure.Budgets;

namespace ControlPlane.Functions.Budgets;

/// <summary>When the host stops this instance (scale-in, deploy), its leased headroom goes back to the budgets at once.</summary>
public sealed class LeaseReturnOnShutdown(TableBudgetLedger ledger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => ledger.ReturnLeasesAsync(cancellationToken);
}
