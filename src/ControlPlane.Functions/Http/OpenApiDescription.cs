using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Functions.Access;
using Microsoft.AspNetCore.WebUtilities;
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

    /// <summary>The one problem+json shape every 4xx and 5xx answer has (<see cref="Problems"/>).</summary>
    public const string ProblemSchemaName = "Problem";

    /// <summary>The extension on each problem response that lists the stable codes it may carry.</summary>
    public const string ErrorCodesExtension = "x-error-codes";

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
                Describe(document);
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) =>
            {
                MarkRequired(schema, context.JsonTypeInfo);
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

    private static void Describe(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "ControlPlane API",
            Version = typeof(OpenApiDescription).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
            Description = "Cost control for AI workloads on Azure: record and authorize LLM calls, budgets and kill switches, "
                + "prices, deferrable batch work, audits and findings, finance reports, GPU pools. "
                + $"Send an API key in the {ApiKeyAuthenticationHandler.HeaderName} header. Every 4xx and 5xx answer is "
                + $"application/problem+json with a stable code; each response lists its codes in {ErrorCodesExtension}.",
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };

        // Relative, so the document is right wherever the app is served (standalone, Functions host, behind a proxy).
        document.Servers = [new OpenApiServer { Url = "/", Description = "This ControlPlane." }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthenticationHandler.HeaderName,
            Description = "An API key issued with POST /api/keys (roles: ingest, finance, admin), or the bootstrap admin key.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchemaName] = ProblemSchema();
    }

    /// <summary>RFC 9457 problem details as <see cref="Problems"/> writes them; other members may appear (traceId).</summary>
    private static OpenApiSchema ProblemSchema()
    {
        static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem with a stable code clients can switch on.",
            Required = new HashSet<string> { "type", "title", "status", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("urn:controlplane:problem:{code}."),
                ["title"] = Text("What went wrong, for people."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
                ["detail"] = Text("More about this occurrence."),
                ["code"] = Text("The stable error code; for a 400 with several errors, the first one's."),
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Description = "Every problem found in the request (validation answers only), so it can be fixed in one round trip.",
                    Items = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "code", "field", "message" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["code"] = Text("The stable error code."),
                            ["field"] = Text("The JSON path or query parameter at fault (scope.type, prices[2].input, limit)."),
                            ["message"] = Text("What is wrong and what is accepted."),
                        },
                    },
                },
            },
        };
    }

    /// <summary>
    /// A member is required when the API always writes it: C# <c>required</c> members and members that cannot be null
    /// (the API omits nulls). Request bodies declare their members nullable and validate them, so they list none.
    /// </summary>
    private static void MarkRequired(OpenApiSchema schema, JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || schema.Properties is not { Count: > 0 } properties)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            if (properties.ContainsKey(property.Name)
                && (property.IsRequired || (property.Get is not null && !property.IsGetNullable && property.ShouldSerialize is null)))
            {
                (schema.Required ??= new HashSet<string>()).Add(property.Name);
            }
        }
    }

    /// <summary>What the function reads by hand (query, JSON body), its parameters' descriptions and every problem it may answer.</summary>
    private static async Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var function = metadata.OfType<FunctionDescriptor>().First();
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            parameter.Description ??= function.Method.GetParameters().FirstOrDefault(p => p.Name == parameter.Name)?.GetCustomAttribute<DescriptionAttribute>()?.Description;
        }

        var queries = metadata.OfType<QueryParameterAttribute>().ToList();
        foreach (var query in queries)
        {
            var schema = await context.GetOrCreateSchemaAsync(query.Type, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (AllowedValues(query) is { } values)
            {
                schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] };
            }

            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter { Name = query.Name, In = ParameterLocation.Query, Description = query.Description, Schema = schema });
        }

        var problems = new List<(int Status, string? Why, IReadOnlyList<string> Codes)>();
        var protocol = metadata.OfType<ProtocolBodiesAttribute>().FirstOrDefault();
        var protocolStatuses = new HashSet<int>();
        foreach (var declared in metadata.OfType<ProblemResponseAttribute>())
        {
            problems.Add((declared.Status, null, declared.Codes));
            if (protocol is not null)
            {
                protocolStatuses.Add(declared.Status);
            }
        }

        if (protocol is not null)
        {
            DescribeProtocol(operation, protocol);
        }

        if (queries.Any(q => q.Description is PageQuery.LimitDescription or PageQuery.NextDescription))
        {
            problems.Add((StatusCodes.Status400BadRequest, null, [PageQuery.LimitInvalid, PageQuery.NextInvalid]));
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
            problems.Add((StatusCodes.Status400BadRequest, null, [Problems.BodyMissing, Problems.JsonInvalid]));
            problems.Add((StatusCodes.Status413PayloadTooLarge, "The body is larger than this operation accepts.", [Problems.BodyTooLarge]));
            problems.Add((StatusCodes.Status415UnsupportedMediaType, "The body is not application/json.", [Problems.UnsupportedMediaType]));
        }

        var trigger = (HttpFunctionTrigger)function.Trigger;
        if (trigger.Policy is not null)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [] });
            problems.Add((StatusCodes.Status401Unauthorized, "No API key, or one that is unknown or revoked.", [AccessErrors.KeyMissing, AccessErrors.KeyInvalid]));
            problems.Add((StatusCodes.Status403Forbidden, "The key's role or teams do not allow this call.", [AccessErrors.RoleForbidden]));
            problems.Add((StatusCodes.Status503ServiceUnavailable, "Storage is unreachable; retry with backoff.", [Problems.StorageUnavailable]));
        }

        if (trigger.Audit is not null)
        {
            problems.Add((StatusCodes.Status503ServiceUnavailable, "The audit log cannot be written, so nothing was changed.", [AuditLogErrors.Unavailable]));
        }

        problems.Add((StatusCodes.Status500InternalServerError, "An unexpected error; nothing is half-written.", [Problems.InternalError]));
        operation.Responses ??= [];
        foreach (var status in problems.GroupBy(p => p.Status).OrderBy(g => g.Key))
        {
            var codes = status.SelectMany(p => p.Codes).Distinct(StringComparer.Ordinal).ToList();
            var why = string.Join(" ", status.Select(p => p.Why).OfType<string>().Distinct(StringComparer.Ordinal));
            var content = new Dictionary<string, OpenApiMediaType>();
            if (protocol is not null && protocolStatuses.Contains(status.Key))
            {
                why = string.Join(" ", new[] { why, protocol.Failure }.Where(w => w.Length > 0));
                foreach (var mediaType in protocol.MediaTypes)
                {
                    content[mediaType] = new() { Schema = ProtocolSchema(mediaType) };
                }
            }

            // The gate's own answers (key, role, outage, unexpected) are problem+json whatever the function speaks.
            if (protocol is null || status.Any(p => p.Why is not null))
            {
                content["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchemaName, context.Document) };
            }

            operation.Responses[status.Key.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = $"{ReasonPhrases.GetReasonPhrase(status.Key)}.{(why.Length > 0 ? " " + why : "")} Codes: {string.Join(", ", codes)}.",
                Content = content,
                Extensions = new Dictionary<string, IOpenApiExtension> { [ErrorCodesExtension] = new JsonNodeExtension(new JsonArray([.. codes.Select(c => (JsonNode)JsonValue.Create(c))])) },
            };
        }
    }

    /// <summary>The request and success bodies of an operation that speaks its own wire protocol.</summary>
    private static void DescribeProtocol(OpenApiOperation operation, ProtocolBodiesAttribute protocol)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = protocol.Request,
            Content = protocol.MediaTypes.ToDictionary(m => m, m => new OpenApiMediaType { Schema = ProtocolSchema(m) }),
        };
        operation.Responses ??= [];
        operation.Responses["200"] = new OpenApiResponse
        {
            Description = protocol.Success,
            Content = protocol.MediaTypes.ToDictionary(m => m, m => new OpenApiMediaType { Schema = ProtocolSchema(m) }),
        };
    }

    /// <summary>Protobuf is bytes; a JSON encoding of protobuf messages is an object the description names.</summary>
    private static OpenApiSchema ProtocolSchema(string mediaType) =>
        mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase)
            ? new OpenApiSchema { Type = JsonSchemaType.Object }
            : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };

    /// <summary>The values a query parameter accepts, as its function parses them, when they are a fixed set.</summary>
    internal static IReadOnlyList<string>? AllowedValues(QueryParameterAttribute query) =>
        query.Values ?? (query.Enum is { } type ? [.. Enum.GetNames(type).Select(n => n.ToLowerInvariant())] : null);
}
