using System.Text;
using ControlPlane.Validation;

namespace ControlPlane.Telemetry;

/// <summary>
/// A GenAI span that was not recorded, with every problem found: each error's <see cref="ValidationError.Field"/> is
/// the attribute (or span field) at fault, such as <c>controlplane.team</c> or <c>gen_ai.usage.input_tokens</c>.
/// </summary>
public sealed record RejectedSpan(string TraceId, string SpanId, IReadOnlyList<ValidationError> Errors)
{
    /// <summary>Most spans an OTLP <c>errorMessage</c> names; the rest are counted.</summary>
    public const int MaxDescribed = 5;

    /// <summary>
    /// The partial-success <c>errorMessage</c>: the first <see cref="MaxDescribed"/> spans, each with its stable codes
    /// and the attributes at fault, e.g. <c>span 4bf9…/00f0…: usage_field_required (controlplane.team)</c>.
    /// </summary>
    public static string Describe(IReadOnlyList<RejectedSpan> rejected)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        var message = new StringBuilder();
        message.Append(rejected.Count).Append(rejected.Count == 1 ? " GenAI span was" : " GenAI spans were").Append(" not recorded. ");
        foreach (var span in rejected.Take(MaxDescribed))
        {
            message.Append("span ").Append(span.TraceId.Length > 0 ? span.TraceId : "?").Append('/').Append(span.SpanId.Length > 0 ? span.SpanId : "?").Append(": ");
            message.AppendJoin(", ", span.Errors.Select(e => $"{e.Code} ({e.Field}): {e.Message}"));
            message.Append("; ");
        }

        if (rejected.Count > MaxDescribed)
        {
            message.Append("and ").Append(rejected.Count - MaxDescribed).Append(" more.");
        }

        return message.ToString().TrimEnd(' ', ';');
    }
}
