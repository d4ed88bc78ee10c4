using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ControlPlane.Functions.Http;

/// <summary>
/// Documents a JSON request body in the OpenAPI document without <c>.Accepts&lt;T&gt;()</c>: that metadata also makes
/// routing reject other content types with a bare 415, before our handler can answer with a problem+json code.
/// </summary>
public static class OpenApiDocs
{
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), cancellationToken: cancellationToken);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });
}
