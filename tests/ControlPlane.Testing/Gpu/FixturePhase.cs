namespace ControlPlane.Testing.Gpu;

/// <summary>A load the recording ran, [<paramref name="Start"/>, <paramref name="End"/>).</summary>
public sealed record FixturePhase(string Name, DateTimeOffset Start, DateTimeOffset End);
