using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane;

/// <summary>
/// The standalone host in memory (WebApplicationFactory) on real Azurite, with its own table prefix (and so its own
/// Durable task hub), a known admin key and a fake clock. Timer functions do not run by themselves here: tests run
/// them with <see cref="RunTimerAsync"/>. Durable timers run on real time; the batch waits are set short.
/// </summary>
public sealed class ControlPlaneApp : WebApplicationFactory<ControlPlane.Standalone.Program>
{
    public const string AdminKey = "test-admin-key-0123456789";
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="tablePrefix">Share one prefix between several apps to run them as instances of one deployment.</param>
    /// <param name="services">Replaces services, e.g. the scale-set controller pointed at a local Resource Manager fake.</param>
    public ControlPlaneApp(Dictionary<string, string?>? settings = null, string? tablePrefix = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        TablePrefix = tablePrefix ?? Azurite.NewTablePrefix();
        _settings = new()
        {
            ["ControlPlane:Storage:ConnectionString"] = Azurite.ConnectionString,
            ["ControlPlane:Storage:TablePrefix"] = TablePrefix,
            ["ControlPlane:AdminKey"] = AdminKey,
            ["ControlPlane:Triggers:Enabled"] = "false",
            ["ControlPlane:Durable:PartitionCount"] = "1",
            ["ControlPlane:Durable:MaxQueuePollingInterval"] = "00:00:00.250",
            ["ControlPlane:Batch:PollInterval"] = "00:00:01",
            ["ControlPlane:Batch:FileCheckInterval"] = "00:00:01",
            ["ControlPlane:Orchestrations:RetryDelay"] = "00:00:01",
            ["ControlPlane:Orchestrations:MaxRetryDelay"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",

            // CI's two loaded cores can take seconds per storage round trip: tests of other behaviour must not fail
            // closed for that. The deadlines themselves are tested at their defaults in Hosting/StorageFreezeTests.
            ["ControlPlane:Deadlines:Authorize"] = "00:00:30",
            ["ControlPlane:Deadlines:Ingest"] = "00:01:00",
        };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    public string TablePrefix { get; }
    public FakeTimeProvider Clock { get; init; } = new(Start);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            _services?.Invoke(services);
        });
    }

    /// <summary>A client sending <paramref name="apiKey"/> (the admin key by default).</summary>
    public HttpClient Client(string? apiKey = AdminKey)
    {
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        return client;
    }

    /// <summary>Runs a timer function now (<c>POST /admin/functions/{name}</c>) and returns what it did.</summary>
    public async Task<JsonElement> RunTimerAsync(string function)
    {
        using var client = Client();
        var response = await client.PostAsync($"/admin/functions/{function}", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{function}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<JsonElement>(body);
    }

    /// <summary>Issues a key through the API and returns its secret.</summary>
    public async Task<string> IssueKeyAsync(string role, params string[] teams)
    {
        var response = await Client().PostAsJsonAsync("/api/keys", new { name = $"{role} key", role, teams });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }
}
