using ControlPlane.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ControlPlane.Benchmarks;

/// <summary>
/// The standalone host in process, as every driver measures it: on the run's Azurite under a table prefix of its own,
/// timer triggers off (a driver fires what it measures), warnings only in the log.
/// </summary>
internal static class BenchmarkApp
{
    public const string AdminKey = "benchmark-admin-key-0123456789";

    /// <param name="tablePrefix">A prefix the driver also uses (to reach the same tables); a new one when null.</param>
    /// <param name="settings">Configuration keys as in appsettings, added to the defaults above or overriding them.</param>
    public static WebApplicationFactory<ControlPlane.Standalone.Program> Start(string? tablePrefix = null, IReadOnlyDictionary<string, string>? settings = null) =>
        new WebApplicationFactory<ControlPlane.Standalone.Program>().WithWebHostBuilder(b =>
        {
            b.UseContentRoot(Path.Combine(Azurite.RepositoryRoot(), "src", "ControlPlane.Standalone"))
                .UseSetting("ControlPlane:Storage:ConnectionString", Azurite.ConnectionString)
                .UseSetting("ControlPlane:Storage:TablePrefix", tablePrefix ?? Azurite.NewTablePrefix())
                .UseSetting("ControlPlane:AdminKey", AdminKey)
                .UseSetting("ControlPlane:Triggers:Enabled", "false")
                .UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                b.UseSetting(key, value);
            }
        });

    /// <summary>An in-memory client of <paramref name="app"/> with the admin key.</summary>
    public static HttpClient AdminClient(this WebApplicationFactory<ControlPlane.Standalone.Program> app)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", AdminKey);
        return client;
    }
}
