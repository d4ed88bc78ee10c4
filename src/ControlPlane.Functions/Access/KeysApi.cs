using System.ComponentModel;
using ControlPlane.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Access;

/// <summary>Key management (admin): issue, list, revoke. Secrets are shown once, at issue.</summary>
public static class KeysApi
{
    private const int MaxBodyBytes = 64 * 1024;
    private const string ListName = "keys";

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/keys").WithTags("Keys").RequireAuthorization(Policies.Admin);
        api.MapPost("/", IssueKeyAsync)
            .WithName(FunctionCatalog.IssueKey)
            .WithSummary("Issue an ingest key bound to teams, or a finance or admin key. The secret is in this answer only.")
            .AcceptsJson<IssueKeyRequest>()
            .Audited(AdminActions.KeyIssue);
        api.MapGet("/", ListKeysAsync)
            .WithName(FunctionCatalog.ListKeys)
            .WithSummary("Issued keys in id order, without secrets. Pages with ?limit= (default 100, at most 1,000) and ?next=.");
        api.MapDelete("/{id}", RevokeKeyAsync)
            .WithName(FunctionCatalog.RevokeKey)
            .WithSummary("Revoke a key; other instances stop accepting it within 30 seconds.")
            .Audited(AdminActions.KeyRevoke);
        return app;
    }

    public static async Task<Results<Created<IssuedKeyResponse>, ProblemHttpResult>> IssueKeyAsync(
        HttpRequest request, ApiKeyService keys, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<IssueKeyRequest>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var issued = await keys.IssueAsync(body!, cancellationToken);
        if (!issued.IsValid)
        {
            return Problems.Validation(issued.Errors);
        }

        var key = issued.Value!.Key;
        return TypedResults.Created($"/api/keys/{key.Id}",
            new IssuedKeyResponse(key.Id, issued.Value.Plaintext, key.Name, key.Role, key.Teams, key.CreatedAt));
    }

    public static async Task<Results<Ok<KeyListResponse>, ProblemHttpResult>> ListKeysAsync(
        [Description(PageQuery.LimitDescription)] int? limit, [Description(PageQuery.NextDescription)] string? next, IApiKeyStore store, CancellationToken cancellationToken)
    {
        var (request, problem) = PageQuery.Read(ListName, limit, next);
        if (problem is not null)
        {
            return problem;
        }

        var page = await store.ListAsync(request!, cancellationToken);
        return TypedResults.Ok(new KeyListResponse(
            [.. page.Items.Select(k => new KeySummary(k.Id, k.Name, k.Role, k.Teams, k.CreatedAt, k.RevokedAt))],
            PageQuery.Token(ListName, page.Next)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(
        string id, ApiKeyService keys, CancellationToken cancellationToken) =>
        await keys.RevokeAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFoundOf(AccessErrors.KeyNotFound, $"Key '{id}'");
}

/// <summary><c>POST /api/keys</c> answer; <c>key</c> is the secret, shown this once.</summary>
public sealed record IssuedKeyResponse(string Id, string Key, string Name, ApiRole Role, IReadOnlyList<string> Teams, DateTimeOffset CreatedAt);

public sealed record KeySummary(string Id, string Name, ApiRole Role, IReadOnlyList<string> Teams, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A page of keys; <c>next</c> is absent on the last page.</summary>
public sealed record KeyListResponse(IReadOnlyList<KeySummary> Keys, string? Next = null);
