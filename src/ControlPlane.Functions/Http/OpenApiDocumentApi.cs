namespace ControlPlane.Functions.Http;

/// <summary>The OpenAPI document, served without a key.</summary>
[Tags("OpenAPI")]
public sealed class OpenApiDocumentApi
{
    [Function(nameof(OpenApiDocument))]
    [AllowAnonymous]
    [EndpointSummary("This API's OpenAPI 3.1 document.")]
    public async Task<IResult> OpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/openapi.json")] HttpRequest request) =>
        Results.Text(await OpenApiDescription.GetJsonAsync(), "application/json");
}
