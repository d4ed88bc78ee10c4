using ControlPlane.Validation;
using ModelContextProtocol;

namespace ControlPlane.Functions.Mcp;

/// <summary>
/// Bad arguments and refusals as tool errors: an <see cref="McpException"/> becomes a tool result with
/// <c>isError: true</c> and this message (never a protocol error), so an agent reads the same stable code, e.g.
/// <c>costs_group_by_invalid</c>, the HTTP API would have put in its problem.
/// </summary>
internal static class McpToolErrors
{
    public static McpException Of(string code, string message) => new($"{code}: {message}");

    public static McpException Of(IReadOnlyList<ValidationError> errors) =>
        new(string.Join(" ", errors.Select(e => $"{e.Code}: {e.Message}")));
}
