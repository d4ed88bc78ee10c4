using System.Buffers.Text;
using System.Text.Json;
using ControlPlane.Paging;
using ControlPlane.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Http;

/// <summary>
/// <c>?limit=</c> and <c>?next=</c> of every list endpoint. <c>next</c> is opaque to clients: the list's name and the
/// store's position (the last key returned), as base64url JSON. A token the list did not issue is a 400; a token
/// edited by hand can only move the start of the page, never widen what the caller may see (filters are re-applied).
/// </summary>
public static class PageQuery
{
    public const string LimitInvalid = "page_limit_invalid";
    public const string NextInvalid = "page_next_invalid";
    public const string LimitDescription = "Items per page, 1 to 1,000 (default 100).";
    public const string NextDescription = "The previous page's next token, unchanged (with the same filters); absent on the first page.";

    /// <summary>The page asked for, or the problem to answer with.</summary>
    /// <param name="list">The list's name, so a token from one list is refused by another.</param>
    /// <param name="positionParts">How many parts the list's position has (its key columns).</param>
    /// <param name="validPosition">Further checks of a decoded position (a time that must parse).</param>
    public static (PageRequest? Page, ProblemHttpResult? Problem) Read(
        string list, HttpRequest request, int positionParts = 1, Func<IReadOnlyList<string>, bool>? validPosition = null)
    {
        var errors = new List<ValidationError>();
        var limitText = request.Text("limit");
        var next = request.Text("next");
        int? limit = null;
        if (limitText is not null)
        {
            limit = int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        }

        if (limit is < 1 or > PageRequest.MaxLimit)
        {
            errors.Add(new(LimitInvalid, "limit", $"limit must lie between 1 and {PageRequest.MaxLimit} (default {PageRequest.DefaultLimit})."));
        }

        IReadOnlyList<string>? after = null;
        if (next is not null && (!TryDecode(next, list, positionParts, out after) || validPosition?.Invoke(after!) == false))
        {
            errors.Add(new(NextInvalid, "next", "next must be a token from this list's previous page, unchanged."));
        }

        return errors.Count > 0 ? (null, Problems.Validation(errors)) : (new PageRequest(limit ?? PageRequest.DefaultLimit, after), null);
    }

    /// <summary>The <c>next</c> token for a page, or null on the last page.</summary>
    public static string? Token(string list, IReadOnlyList<string>? position) =>
        position is null ? null : Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Position(list, [.. position])));

    private static bool TryDecode(string token, string list, int parts, out IReadOnlyList<string>? after)
    {
        after = null;
        try
        {
            var position = JsonSerializer.Deserialize<Position>(Base64Url.DecodeFromChars(token));
            if (position is null || position.L != list || position.A is null || position.A.Length != parts || position.A.Any(p => p is null))
            {
                return false;
            }

            after = position.A;
            return true;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    private sealed record Position(string L, string[] A);
}
