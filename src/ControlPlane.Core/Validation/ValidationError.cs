namespace ControlPlane.Validation;

/// <summary>
/// One problem with a request, reported together with every other problem found in the same request.
/// </summary>
/// <param name="Code">Stable, machine-readable code such as <c>usage_tokens_negative</c>; clients switch on it.</param>
/// <param name="Field">JSON path of the offending field, for example <c>events[3].inputTokens</c>.</param>
/// <param name="Message">Human-readable explanation; wording may change, the code does not.</param>
public sealed record ValidationError(string Code, string Field, string Message);
