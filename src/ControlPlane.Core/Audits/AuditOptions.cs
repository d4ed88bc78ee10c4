using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Audits;

/// <summary>Section <c>ControlPlane:Audits</c>: what every audit shares. Each audit has its own subsection.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "ControlPlane:Audits";

    /// <summary>
    /// How much worse a dismissed finding's magnitude must get before it opens again: 0.5 = half as bad again.
    /// A higher severity reopens it too.
    /// </summary>
    [Range(0.0, 100.0)]
    public double MaterialWorsening { get; set; } = 0.5;
}
