using System.Reflection;
using ControlPlane.Functions.Access;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.OpenApi;

namespace ControlPlane.Functions.Http;

/// <summary>
/// The OpenAPI document of the HTTP functions, the same under either host. Under the Functions host the functions are
/// not ASP.NET endpoints with metadata, so the document is built once from a private, never-started web application
/// on which every HTTP function is described (route, methods, its method's parameters, return type and attributes)
/// and handed to Microsoft.AspNetCore.OpenApi.
/// </summary>
public static class OpenApiDescription
{
    public const string DocumentName = "v1";
    private static readonly Lazy<Task<string>> Json = new(BuildAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<string> GetJsonAsync() => Json.Value;

    /// <summary>The <c>x-api-key</c> scheme every keyed operation requires.</summary>
    public const string SecuritySchemeName = "apiKey";

    private static async Task<string> BuildAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.ConfigureHttpJsonOptions(o => ControlPlaneServices.ConfigureJson(o.SerializerOptions));

        // Bound by the host, never read from the body.
        builder.Services.AddSingleton<DurableTaskClient>(_ => throw new InvalidOperationException("Description only."));
        builder.Services.AddOpenApi(DocumentName, o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "ControlPlane API",
                    Version = typeof(OpenApiDescription).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
                    Description = $"Cost control for AI workloads. Send an API key in the {ApiKeyAuthenticationHandler.HeaderName} header.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = ApiKeyAuthenticationHandler.HeaderName,
                    Description = "An API key issued with POST /api/keys (roles: ingest, finance, admin), or the bootstrap admin key.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(DescribeAsync);
        });
        var app = builder.Build();
        foreach (var (function, http) in FunctionIndex.Http)
        {
            var inferred = RequestDelegateFactory.InferMetadata(function.Method, new RequestDelegateFactoryOptions { ServiceProvider = app.Services });
            app.MapMethods($"/{http.Route}", http.Methods, _ => Task.CompletedTask)
                .WithMetadata([function, function.Method, .. inferred.EndpointMetadata, .. function.Method.DeclaringType!.GetCustomAttributes(), .. function.Method.GetCustomAttributes()])
                .WithName(function.Name);
        }

        // Routing publishes the mapped endpoints to the API explorer when the pipeline is built; this app never runs.
        app.UseRouting();
        app.UseEndpoints(_ => { });
        var document = await app.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName).GetOpenApiDocumentAsync().ConfigureAwait(false);
        return await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1).ConfigureAwait(false);
    }

    /// <summary>What the function reads by hand (query, JSON body) and the problems every keyed or audited function may answer.</summary>
    private static async Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        foreach (var query in metadata.OfType<QueryParameterAttribute>())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = query.Name,
                In = ParameterLocation.Query,
                Description = query.Description,
                Schema = await context.GetOrCreateSchemaAsync(query.Type, cancellationToken: cancellationToken).ConfigureAwait(false),
            });
        }

        if (metadata.OfType<AcceptsJsonAttribute>().FirstOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body.BodyType, cancellationToken: cancellationToken).ConfigureAwait(false) },
                },
            };
        }

        var trigger = (HttpFunctionTrigger)metadata.OfType<FunctionDescriptor>().First().Trigger;
        if (trigger.Policy is not null)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [] });
            AddProblem(operation, StatusCodes.Status401Unauthorized, "No API key, or one that is unknown or revoked.");
            AddProblem(operation, StatusCodes.Status403Forbidden, "The key's role or teams do not allow this call.");
        }

        if (trigger.Audit is not null)
        {
            AddProblem(operation, StatusCodes.Status503ServiceUnavailable, "The audit log cannot be written, so nothing was changed.");
        }
    }

    private static void AddProblem(OpenApiOperation operation, int status, string description)
    {
        operation.Responses ??= [];
        operation.Responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
        });
    }
}

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
