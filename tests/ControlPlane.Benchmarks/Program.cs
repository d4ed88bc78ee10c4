using BenchmarkDotNet.Running;
using ControlPlane.Benchmarks.Usage;

// `ingest [events] [clients]` runs the ingest load driver against its own Azurite; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "ingest")
{
    await IngestLoadDriver.RunAsync(args.Skip(1).ToArray());
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ControlPlane.Benchmarks.Pricing.PricingBenchmarks).Assembly).Run(args);
