using System.Text.Json;
using ControlPlane.Audits;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Audits;

/// <summary>
/// The shadow-AI audit's inputs an admin gives: an uploaded inventory (for tenants ControlPlane's identity cannot
/// read) and the approved AI resource registry the audit compares every AI resource with.
/// </summary>
[Tags("Audits")]
public sealed class ShadowAiApi(IShadowAiUploadStore uploads, IAiResourceRegistry registry, AiResourceRegistration registration,
    IOptions<ShadowAiOptions> options, TimeProvider time)
{
    private const string ResourceList = "ai-resources";

    // az prints nested properties (ML workspaces, networking); deeper than the API's usual 16 levels.
    private const int MaxInventoryDepth = 64;

    [Function(nameof(UploadShadowAiInventory))]
    [ProblemResponse(StatusCodes.Status400BadRequest, Problems.BodyMissing, Problems.JsonInvalid, ShadowAiErrors.InventoryShapeInvalid, ShadowAiErrors.InventoryResourceInvalid, ShadowAiErrors.InventoryTooManyResources)]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge)]
    [ProblemResponse(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.ShadowAiInventoryUpload))]
    [EndpointSummary("Upload the JSON 'az resource list -o json' prints (an array of resources; deployments of type " +
        "Microsoft.CognitiveServices/accounts/deployments included). It replaces the previous upload; the next shadow-ai-audit run " +
        "audits it alongside Resource Manager. Answers how many AI resources and deployments it found.")]
    public async Task<Results<Ok<ShadowAiUploadSummary>, ProblemHttpResult>> UploadShadowAiInventory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/audits/shadow-ai/inventory")] HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxInventoryBytes;
        if (!IsJson(request.ContentType))
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType,
                "Send the inventory as application/json.", $"Content-Type was '{request.ContentType ?? "(none)"}'.");
        }

        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        JsonDocument document;
        try
        {
            await using var limited = new LengthLimitedStream(request.Body, limit);
            document = await JsonDocument.ParseAsync(limited, new JsonDocumentOptions { MaxDepth = MaxInventoryDepth }, cancellationToken);
        }
        catch (LengthLimitedStream.LimitExceededException)
        {
            return TooLarge(limit);
        }
        catch (JsonException ex)
        {
            return ex.LineNumber == 0 && ex.BytePositionInLine == 0 && request.ContentLength is null or 0
                ? Problems.Of(StatusCodes.Status400BadRequest, Problems.BodyMissing, "The request body is empty.")
                : Problems.Of(StatusCodes.Status400BadRequest, Problems.JsonInvalid, "The inventory is not valid JSON.",
                    $"Line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}.");
        }

        using (document)
        {
            var parsed = ShadowAiUploadParser.Parse(document.RootElement, options.Value.AiSaasPublisherList,
                request.HttpContext.User.GetCaller().KeyId, time.GetUtcNow());
            if (!parsed.IsValid)
            {
                return Problems.Validation(parsed.Errors);
            }

            await uploads.SaveAsync(parsed.Value!, cancellationToken);
            return TypedResults.Ok(ShadowAiUploadSummary.Of(parsed.Value!));
        }
    }

    [Function(nameof(ListAiResources))]
    [Authorize(Policies.Admin)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Approved AI resources (owning team, purpose, who approved them when) in resource id order. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<AiResourceList>, ProblemHttpResult>> ListAiResources(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/ai-resources")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(ResourceList, request);
        if (problem is not null)
        {
            return problem;
        }

        var resources = await registry.ListAsync(page!, cancellationToken);
        return TypedResults.Ok(new AiResourceList(resources.Items, PageQuery.Token(ResourceList, resources.Next)));
    }

    [Function(nameof(UpsertAiResources))]
    [ProblemResponse(StatusCodes.Status400BadRequest, ShadowAiErrors.ResourcesMissing, ShadowAiErrors.ResourcesTooMany, ShadowAiErrors.ResourceDuplicate, ShadowAiErrors.ResourceIdInvalid, ShadowAiErrors.FieldInvalid, ShadowAiErrors.TeamRequired)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.AiResourceUpsert))]
    [AcceptsJson(typeof(AiResourcesRequest))]
    [EndpointSummary("Approve AI resources: {\"resources\": [{resourceId, team, purpose?, approvedBy?, approvedAt?}]}, 1 to 100 entries, each " +
        "created or replaced by its ARM id (case-insensitive). approvedBy defaults to the caller's key id, approvedAt to now. One bad entry stores none.")]
    public async Task<Results<Ok<AiResourceList>, ProblemHttpResult>> UpsertAiResources(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/ai-resources")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<AiResourcesRequest>(request, 256 * 1024, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var registered = await registration.RegisterAsync(body!, request.HttpContext.User.GetCaller().KeyId, cancellationToken);
        return registered.IsValid ? TypedResults.Ok(new AiResourceList(registered.Value!)) : Problems.Validation(registered.Errors);
    }

    private static ProblemHttpResult TooLarge(int limit) =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge, "The inventory is too large.",
            $"The limit is {limit:N0} bytes (ControlPlane:Audits:ShadowAi:MaxInventoryBytes).");

    private static bool IsJson(string? contentType) =>
        contentType?.Split(';', 2)[0].Trim() is { } mediaType
        && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}

/// <summary>A page of approved AI resources; <c>next</c> is absent on the last page.</summary>
public sealed record AiResourceList(IReadOnlyList<ApprovedAiResource> Resources, string? Next = null);

/// <summary>What an upload held: entries in the file, the AI resources (by type) and deployments kept for the audit.</summary>
public sealed record ShadowAiUploadSummary(
    DateTimeOffset UploadedAt, string UploadedBy, int EntriesInFile, int AiResources, int Deployments, IReadOnlyDictionary<string, int> AiResourcesByType)
{
    public static ShadowAiUploadSummary Of(ShadowAiUpload upload) => new(upload.UploadedAt, upload.UploadedBy, upload.EntriesInFile,
        upload.Resources.Count, upload.Deployments.Count,
        upload.Resources.GroupBy(r => r.Type, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase));
}
