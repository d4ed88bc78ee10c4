using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Testing.Fakes;

/// <summary>
/// A local stand-in for what a VM reaches without credentials: the Instance Metadata Service's managed-identity
/// token endpoint (<c>GET /metadata/identity/oauth2/token?api-version=2018-02-01&amp;resource=...</c>, only with the
/// <c>Metadata: true</c> header) and Key Vault's secrets REST API (<c>GET /secrets/{name}?api-version=7.4</c> with that
/// token as a bearer), in their real answer shapes and errors; plus a Prometheus text page at <c>/metrics</c>.
/// </summary>
public sealed class FakeManagedIdentityServer : IAsyncDisposable
{
    public const string VaultResource = "https://vault.azure.net";
    private readonly WebApplication _app;
    private readonly string _token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-" + Guid.NewGuid().ToString("N");

    public FakeManagedIdentityServer()
    {
        Port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        _app = builder.Build();
        _app.MapGet("/metadata/identity/oauth2/token", (HttpRequest request) =>
        {
            Requests.Add($"token {request.QueryString}");
            if (request.Headers["Metadata"] != "true")
            {
                return Results.Json(new { error = "invalid_request", error_description = "Required metadata header not specified" }, statusCode: 400);
            }

            if (request.Query["api-version"] != "2018-02-01" || request.Query["resource"] != VaultResource)
            {
                return Results.Json(new { error = "invalid_resource", error_description = "AADSTS500011: The resource principal was not found." }, statusCode: 400);
            }

            var expires = TimeProvider.System.GetUtcNow().AddHours(24).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new
            {
                access_token = _token, client_id = "00000000-0000-0000-0000-00000000c11e", expires_in = "86399", expires_on = expires,
                ext_expires_in = "86399", not_before = expires, resource = VaultResource, token_type = "Bearer",
            });
        });
        _app.MapGet("/secrets/{name}", (HttpRequest request, string name) =>
        {
            Requests.Add($"secret {name}{request.QueryString}");
            if (request.Headers.Authorization != $"Bearer {_token}")
            {
                return Results.Json(new { error = new { code = "Unauthorized", message = "AKV10000: Request is missing a Bearer or PoP token." } }, statusCode: 401);
            }

            if (request.Query["api-version"] != "7.4")
            {
                return Results.Json(new { error = new { code = "BadParameter", message = "The specified version is not supported." } }, statusCode: 400);
            }

            return Secrets.TryGetValue(name, out var value)
                ? Results.Json(new
                {
                    value, contentType = "text/plain", id = $"{BaseAddress}secrets/{name}/0123456789abcdef0123456789abcdef",
                    attributes = new { enabled = true, created = 1795896000, updated = 1795896000, recoveryLevel = "Recoverable" },
                })
                : Results.Json(new { error = new { code = "SecretNotFound", message = $"A secret with (name/id) {name} was not found in this key vault." } }, statusCode: 404);
        });
        _app.MapGet("/metrics", () => Results.Text(Metrics, "text/plain; version=0.0.4; charset=utf-8"));
    }

    public int Port { get; }

    /// <summary>Serves as both the IMDS address and the vault URL (each sees only its own paths).</summary>
    public string BaseAddress => $"http://127.0.0.1:{Port}/";

    public ConcurrentDictionary<string, string> Secrets { get; } = new();

    /// <summary>The Prometheus text exposition served at <c>/metrics</c>.</summary>
    public string Metrics { get; set; } = string.Empty;

    public ConcurrentBag<string> Requests { get; } = [];

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
