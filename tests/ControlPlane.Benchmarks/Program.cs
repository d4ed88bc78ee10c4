using BenchmarkDotNet.Running;
using ControlPlane.Benchmarks.Usage;

// `ingest [events] [clients]`, `authorize [seconds] [clients]`, `posthoc [seconds] [clients]`, `sweep [reservations]`,
// `batch [requests] [clients]`, `client-middleware [calls]`, `rollups [events] [groups] [clients]`,
// `orchestrations [count] [partitions]`, `dashboard [calls per hour] [days] [runs]`, `otlp [spans] [clients]`
// and `load [seconds] [operations/s]` (three instances, a mix, exact reconciliation; exit code 1 if it is not exact) run load
// drivers against their own Azurite;
// anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "ingest")
{
    await IngestLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "authorize")
{
    await ControlPlane.Benchmarks.Budgets.AuthorizeLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "posthoc")
{
    await ControlPlane.Benchmarks.Budgets.LedgerScanLoadDriver.PostHocAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "sweep")
{
    await ControlPlane.Benchmarks.Budgets.LedgerScanLoadDriver.SweepAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "batch")
{
    await ControlPlane.Benchmarks.Batch.BatchLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "orchestrations")
{
    await ControlPlane.Benchmarks.Orchestrations.OrchestrationLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "dashboard")
{
    await ControlPlane.Benchmarks.Dashboard.DashboardLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "load")
{
    Environment.ExitCode = await ControlPlane.Benchmarks.Reliability.MixedLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "client-middleware")
{
    await ControlPlane.Benchmarks.Client.ClientMiddlewareLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "otlp")
{
    await ControlPlane.Benchmarks.Telemetry.OtlpLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "rollups")
{
    await RollupFoldLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ControlPlane.Benchmarks.Pricing.PricingBenchmarks).Assembly).Run(args);
