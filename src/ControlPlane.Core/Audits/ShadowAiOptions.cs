using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Audits;

/// <summary>
/// The shadow-AI audit's settings. Section <c>ControlPlane:Audits:ShadowAi</c> (app settings
/// <c>ControlPlane__Audits__ShadowAi__*</c>). Lists are comma-separated strings, so one app setting holds one list.
/// </summary>
public sealed class ShadowAiOptions
{
    public const string SectionName = "ControlPlane:Audits:ShadowAi";

    /// <summary>When the nightly run starts: six-field NCRONTAB, UTC. Default <c>0 30 3 * * *</c> (03:30). The timer reads it as <c>%ControlPlane__Audits__ShadowAi__Schedule%</c>.</summary>
    [Required]
    public string Schedule { get; set; } = "0 30 3 * * *";

    /// <summary>
    /// Which subscriptions to read through Resource Manager: <c>*</c> for every subscription the identity can read, or
    /// a comma-separated list of subscription ids. Default none: Resource Manager is not read, and the audit uses only
    /// the uploaded inventory (and says so in its result).
    /// </summary>
    public string? Subscriptions { get; set; }

    /// <summary>Tags every AI resource must carry, comma-separated. Default <c>team,project,environment,cost_center</c>.</summary>
    [Required]
    public string RequiredTags { get; set; } = "team,project,environment,cost_center";

    /// <summary>
    /// Marketplace publishers whose SaaS resources (<c>Microsoft.SaaS/resources</c>) count as AI resources,
    /// comma-separated, compared case-insensitively with the plan's publisher id.
    /// </summary>
    [Required]
    public string AiSaasPublishers { get; set; } = "openai,anthropic,anthropicpbc,mistralai,mistral,cohere,ai21labs,ai21,huggingface,databricks,nvidia,perplexity,xai";

    /// <summary>Days of usage the invisible-spend and idle rules look at, ending at the run. Default 7.</summary>
    [Range(1, 90)]
    public int WindowDays { get; set; } = 7;

    /// <summary>
    /// A provisioned deployment is idle when its recorded calls per day over the window are fewer than this (strictly).
    /// Default 10; 1 flags only deployments whose window averages under one call a day.
    /// </summary>
    [Range(0.0, 1_000_000.0)]
    public decimal IdleRequestsPerDay { get; set; } = 10m;

    /// <summary>Hourly price of one PTU of a regional provisioned deployment (<c>ProvisionedManaged</c>), USD. Default 2.00 (list, hourly).</summary>
    [Range(0.0, 1000.0)]
    public decimal ProvisionedPtuHourlyUsd { get; set; } = 2.00m;

    /// <summary>Hourly price of one PTU of a data-zone provisioned deployment, USD. Default 1.10 (list, hourly).</summary>
    [Range(0.0, 1000.0)]
    public decimal DataZoneProvisionedPtuHourlyUsd { get; set; } = 1.10m;

    /// <summary>Hourly price of one PTU of a global provisioned deployment, USD. Default 1.00 (list, hourly).</summary>
    [Range(0.0, 1000.0)]
    public decimal GlobalProvisionedPtuHourlyUsd { get; set; } = 1.00m;

    /// <summary>Largest uploaded inventory (<c>POST /api/audits/shadow-ai/inventory</c>), bytes. Default 8 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxInventoryBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>True when Resource Manager is to be read (<see cref="Subscriptions"/> is set).</summary>
    public bool ReadsResourceManager => !string.IsNullOrWhiteSpace(Subscriptions);

    /// <summary>The subscription ids to read, or null for every readable one (<c>*</c>).</summary>
    public IReadOnlyList<string>? SubscriptionIds => Subscriptions?.Trim() == "*" ? null : Split(Subscriptions);

    public IReadOnlyList<string> RequiredTagList => Split(RequiredTags);

    public IReadOnlyList<string> AiSaasPublisherList => Split(AiSaasPublishers);

    /// <summary>Hourly commitment per PTU of a provisioned SKU; null for a SKU that is not provisioned.</summary>
    public decimal? PtuHourlyUsd(string? skuName) => skuName?.ToLowerInvariant() switch
    {
        "provisionedmanaged" => ProvisionedPtuHourlyUsd,
        "datazoneprovisionedmanaged" => DataZoneProvisionedPtuHourlyUsd,
        "globalprovisionedmanaged" => GlobalProvisionedPtuHourlyUsd,
        _ => null,
    };

    private static string[] Split(string? list) =>
        list is null ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
