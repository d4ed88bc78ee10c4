namespace ControlPlane.Functions.Http;

/// <summary>
/// The API reference a browser can open: one self-contained page (no CDN, so it works offline) that reads
/// <c>/api/openapi.json</c> and lists every operation by tag with its parameters, body, responses and error codes.
/// The page is an embedded resource, so it is in the assembly under either host.
/// </summary>
[Tags("OpenAPI")]
public sealed class ApiReferenceApi
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(ApiReferenceApi).Assembly.GetManifestResourceStream("ControlPlane.Functions.Http.ApiReference.html")
            ?? throw new InvalidOperationException("The API reference page is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    [Function(nameof(ApiReference))]
    [AllowAnonymous]
    [EndpointSummary("This API's reference, as a web page that reads the OpenAPI document.")]
    public IResult ApiReference(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/docs")] HttpRequest request) =>
        Results.Bytes(Page.Value, "text/html; charset=utf-8");
}
