using System.Collections.Frozen;
using System.Reflection;
using System.ComponentModel;
using Microsoft.AspNetCore.Routing;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace ControlPlane.Functions.Dashboard;

/// <summary>
/// The engineers' dashboard: a static page at <c>/</c> and its two files under <c>/dashboard/</c>, embedded in the
/// assembly so both hosts serve the same bytes. The page itself needs no key; it asks for one and calls the API
/// with it, so everything it shows is what that key may read.
/// </summary>
[ExcludeFromDescription] // a page for people, not an API operation
public sealed class DashboardApi
{
    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    /// <summary>
    /// Only this origin's scripts, styles and API; no inline script, no framing. The page builds every element with
    /// text nodes, so names and tags from usage can never run as script.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    [Function(nameof(Dashboard))]
    [AllowAnonymous]
    [EndpointSummary("The dashboard (HTML). Sign in with an API key; it is kept for the browser tab only.")]
    public IResult Dashboard(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "{ignored:maxlength(0)?}")] HttpRequest request) =>
        Serve(request, "index.html");

    [Function(nameof(DashboardAsset))]
    [AllowAnonymous]
    [EndpointSummary("A file of the dashboard (app.js, app.css).")]
    public IResult DashboardAsset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{name}")] HttpRequest request, [Description("The file's name.")] string name) =>
        Serve(request, name);

    private static IResult Serve(HttpRequest request, string name)
    {
        if (!Assets.TryGetValue(name, out var asset))
        {
            return Http.Problems.NotFoundOf(DashboardErrors.FileNotFound, $"Dashboard file '{name}'");
        }

        var headers = request.HttpContext.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        return request.Headers.IfNoneMatch.Contains(asset.ETag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardApi).Assembly;
        const string prefix = "dashboard/";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .ToFrozenDictionary(n => n[prefix.Length..], n => Asset.Read(assembly, n), StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag)
    {
        public static Asset Read(Assembly assembly, string resource)
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var type = Path.GetExtension(resource) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            return new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
    }
}

/// <summary>Stable error codes of the dashboard's files.</summary>
public static class DashboardErrors
{
    public const string FileNotFound = "dashboard_file_not_found";
}
