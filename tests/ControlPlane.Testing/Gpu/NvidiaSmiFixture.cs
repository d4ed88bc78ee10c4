using System.Globalization;

namespace ControlPlane.Testing.Gpu;

/// <summary>
/// Real nvidia-smi output recorded on an NVIDIA H200 under known loads (tests/fixtures/gpu/nvidia-h200, see its README):
/// the readings of <c>samples.csv</c>, taken every 500 ms, and the phases of <c>phases.txt</c>.
/// </summary>
public sealed class NvidiaSmiFixture
{
    private NvidiaSmiFixture(string directory, IReadOnlyList<NvidiaSmiReading> readings, IReadOnlyList<FixturePhase> phases)
    {
        Directory = directory;
        Readings = readings;
        Phases = phases;
    }

    public string Directory { get; }
    public string SamplesCsv => Path.Combine(Directory, "samples.csv");
    public IReadOnlyList<NvidiaSmiReading> Readings { get; }
    public IReadOnlyList<FixturePhase> Phases { get; }

    public FixturePhase Phase(string name) => Phases.Single(p => p.Name == name);

    /// <summary>The readings taken during <paramref name="phase"/>, and their position among all readings.</summary>
    public (int First, IReadOnlyList<NvidiaSmiReading> Readings) During(FixturePhase phase)
    {
        var first = Readings.ToList().FindIndex(r => r.At >= phase.Start);
        return (first, Readings.Where(r => r.At >= phase.Start && r.At < phase.End).ToList());
    }

    /// <summary>Loads the H200 recording from <paramref name="directory"/> (default: tests/fixtures/gpu/nvidia-h200 of the repository).</summary>
    public static NvidiaSmiFixture H200(string? directory = null)
    {
        directory ??= Path.Combine(FindRepositoryRoot(), "tests", "fixtures", "gpu", "nvidia-h200");
        var lines = File.ReadAllLines(Path.Combine(directory, "samples.csv"));
        var header = lines[0].Split(", ").Select(h => h.Split(" [")[0]).ToList();
        int Column(string name) => header.IndexOf(name);
        var readings = lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var f = line.Split(", ");
            double Number(string name) => double.Parse(f[Column(name)].Split(' ')[0], CultureInfo.InvariantCulture);
            return new NvidiaSmiReading(
                DateTimeOffset.ParseExact(f[Column("timestamp")], "yyyy/MM/dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                (int)Number("index"), f[Column("uuid")], Number("utilization.gpu"), Number("memory.used"), Number("memory.total"));
        }).ToList();

        var phases = new List<FixturePhase>();
        foreach (var line in File.ReadAllLines(Path.Combine(directory, "phases.txt")).Where(l => l.Contains(" start ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            var end = File.ReadAllLines(Path.Combine(directory, "phases.txt")).Single(l => l.Split(' ') is [_, "end", var n, ..] && n == parts[2]).Split(' ')[0];
            phases.Add(new FixturePhase(parts[2], Epoch(parts[0]), Epoch(end)));
        }

        return new NvidiaSmiFixture(directory, readings, phases);
    }

    private static DateTimeOffset Epoch(string seconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(decimal.Parse(seconds, CultureInfo.InvariantCulture) * 1000));

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ControlPlane.sln not found above " + AppContext.BaseDirectory);
    }
}
