using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Reports.Delivery;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it (port 25/587 relays).</summary>
    Auto,

    /// <summary>STARTTLS, required (Azure Communication Services Email and Microsoft 365 on port 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>Plain text: a local relay or a test server only.</summary>
    None,
}

/// <summary>
/// Section <c>ControlPlane:Reports:Email</c>: the SMTP server and who receives which report. Without a host, reports
/// are only stored (and the report says no delivery was configured). Recipient lists are addresses separated by
/// <c>,</c> or <c>;</c>.
/// </summary>
public sealed class ReportEmailOptions
{
    public const string SectionName = "ControlPlane:Reports:Email";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    public string? UserName { get; set; }
    public string? Password { get; set; }

    /// <summary>The sender address (for Azure Communication Services, a MailFrom address of a verified domain).</summary>
    public string From { get; set; } = "controlplane@localhost";

    public string FromName { get; set; } = "ControlPlane";

    /// <summary>Recipients of the weekly report.</summary>
    public string? Weekly { get; set; }

    /// <summary>Recipients of the monthly report.</summary>
    public string? Monthly { get; set; }

    /// <summary>Per cost center, its owners: each receives that cost center's own chargeback with the monthly report.</summary>
    public Dictionary<string, string> CostCenters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long one SMTP conversation may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool Configured => !string.IsNullOrWhiteSpace(Host);

    public static IReadOnlyList<string> Addresses(string? list) =>
        list is null ? [] : [.. list.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase)];
}
