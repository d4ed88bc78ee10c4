using System.Globalization;
using System.Text.Json;

namespace ControlPlane.Audits;

/// <summary>
/// The shadow-AI rules, pure: an AI resource not in the approved registry (<c>shadow-ai-unapproved</c>), missing a
/// required tag (<c>shadow-ai-untagged</c>), a pay-as-you-go deployment no recorded call names
/// (<c>shadow-ai-invisible-spend</c>), and a provisioned deployment with fewer recorded calls a day than the idle
/// threshold (<c>idle-provisioned-deployment</c>). Subjects are named by lower-cased ARM id, so the same resource
/// read from Resource Manager or from an upload is one finding.
/// </summary>
public static class ShadowAiRules
{
    public const string TeamTag = "team";
    public const string CostCenterTag = "cost_center";

    public static IReadOnlyList<FindingCandidate> Evaluate(ShadowAiRuleInput input, ShadowAiOptions options)
    {
        var approved = input.Approved.ToDictionary(a => AiResourceTypes.Normalize(a.ResourceId), StringComparer.Ordinal);
        var deploymentsByAccount = input.Inventory.Deployments.ToLookup(d => AiResourceTypes.Normalize(d.AccountId), StringComparer.Ordinal);
        var candidates = new List<FindingCandidate>();
        foreach (var resource in input.Inventory.Resources)
        {
            var id = AiResourceTypes.Normalize(resource.Id);
            approved.TryGetValue(id, out var entry);
            var team = entry?.Team ?? TagValue(resource.Tags, TeamTag);
            var deployments = deploymentsByAccount[id].ToList();
            if (entry is null)
            {
                candidates.Add(Unapproved(resource, id, team, deployments, input, options));
            }

            if (Untagged(resource, id, team, input, options) is { } untagged)
            {
                candidates.Add(untagged);
            }
        }

        var owners = input.Inventory.Resources.ToDictionary(r => AiResourceTypes.Normalize(r.Id), r =>
            approved.TryGetValue(AiResourceTypes.Normalize(r.Id), out var a) ? a.Team : TagValue(r.Tags, TeamTag), StringComparer.Ordinal);
        foreach (var deployment in input.Inventory.Deployments)
        {
            var account = AiResourceTypes.Normalize(deployment.AccountId);
            var team = owners.TryGetValue(account, out var owner) ? owner : approved.TryGetValue(account, out var a) ? a.Team : null;
            var traffic = input.Usage.For(deployment.Name);
            if (AiResourceTypes.IsProvisioned(deployment.SkuName))
            {
                if (Idle(deployment, team, traffic, input, options) is { } idle)
                {
                    candidates.Add(idle);
                }
            }
            else if (traffic.Requests == 0)
            {
                candidates.Add(InvisibleSpend(deployment, team, input));
            }
        }

        return candidates;
    }

    /// <summary>Calls per day over the window, exact.</summary>
    public static decimal RequestsPerDay(long requests, DateTimeOffset windowStart, DateTimeOffset windowEnd) =>
        requests / (decimal)Math.Max((windowEnd - windowStart).TotalDays, 1.0 / 24);

    private static FindingCandidate Unapproved(AiResource resource, string id, string? team, List<AiDeployment> deployments, ShadowAiRuleInput input, ShadowAiOptions options)
    {
        var provisioned = deployments.Where(d => AiResourceTypes.IsProvisioned(d.SkuName)).ToList();
        var hourly = provisioned.Sum(d => (options.PtuHourlyUsd(d.SkuName) ?? 0m) * (d.Capacity ?? 0));
        var observed = new Dictionary<string, decimal>
        {
            ["deployments"] = deployments.Count,
            ["provisionedDeployments"] = provisioned.Count,
            ["provisionedHourlyUsd"] = hourly,
        };
        var parameters = new Dictionary<string, object?>
        {
            ["resourceId"] = resource.Id,
            ["team"] = team,
            ["purpose"] = $"{Describe(resource)} found by the shadow-AI audit",
        };
        var action = team is null
            ? null
            : new ProposedAction(ProposedActionTypes.RegisterResource,
                $"Register {resource.Name} as an approved AI resource owned by team '{team}' (from its team tag).", JsonSerializer.SerializeToElement(parameters));
        return new FindingCandidate(
            FindingKinds.ShadowAiUnapproved,
            new FindingSubject(SubjectTypes.Resource, id, team),
            provisioned.Count > 0 ? FindingSeverity.High : FindingSeverity.Medium,
            new FindingEvidence(
                $"{Describe(resource)} '{resource.Name}' ({resource.Id}, seen via {resource.Source}) is not in the approved AI resource registry (GET /api/ai-resources).",
                input.WindowStart, input.WindowEnd, observed),
            team is null
                ? "Find the owner of this resource; register it (PUT /api/ai-resources) with its team and purpose, or remove it."
                : $"Confirm team '{team}' owns it and register it (PUT /api/ai-resources), or remove it.",
            hourly > 0 ? hourly : Math.Max(1, deployments.Count),
            action);
    }

    private static FindingCandidate? Untagged(AiResource resource, string id, string? team, ShadowAiRuleInput input, ShadowAiOptions options)
    {
        var required = options.RequiredTagList;
        var missing = required.Where(t => TagValue(resource.Tags, t) is null).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        // Propose only values we know: the team from the registry or its own tag, the cost center from the teams registry.
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in missing)
        {
            var value = tag.ToLowerInvariant() switch
            {
                TeamTag => team,
                CostCenterTag when team is not null && input.CostCenters.TryGetValue(team, out var center) => center,
                _ => null,
            };
            if (value is not null)
            {
                known[tag] = value;
            }
        }

        var action = known.Count == 0
            ? null
            : new ProposedAction(ProposedActionTypes.TagResource,
                $"Tag {resource.Name} with {string.Join(", ", known.Select(k => $"{k.Key}={k.Value}"))}.",
                JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["resourceId"] = resource.Id, ["tags"] = known }));
        return new FindingCandidate(
            FindingKinds.ShadowAiUntagged,
            new FindingSubject(SubjectTypes.Resource, id, team),
            missing.Any(t => t.Equals(TeamTag, StringComparison.OrdinalIgnoreCase)) ? FindingSeverity.Medium : FindingSeverity.Low,
            new FindingEvidence(
                $"{Describe(resource)} '{resource.Name}' lacks required tags: {string.Join(", ", missing)} (required: {string.Join(", ", required)}; an empty value counts as missing).",
                input.WindowStart, input.WindowEnd,
                new Dictionary<string, decimal> { ["missingTags"] = missing.Count, ["requiredTags"] = required.Count }),
            known.Count == missing.Count
                ? "Apply the proposed tags so its spend can be attributed."
                : $"Tag it with {string.Join(", ", missing)} so its spend can be attributed{(known.Count > 0 ? " (the proposed action sets the values known here)" : string.Empty)}.",
            missing.Count,
            action);
    }

    private static FindingCandidate InvisibleSpend(AiDeployment deployment, string? team, ShadowAiRuleInput input) => new(
        FindingKinds.ShadowAiInvisibleSpend,
        new FindingSubject(SubjectTypes.Deployment, AiResourceTypes.Normalize(deployment.Id), team),
        FindingSeverity.Medium,
        new FindingEvidence(
            $"No usage event recorded between {Day(input.WindowStart)} and {Day(input.WindowEnd)} names deployment '{deployment.Name}' " +
            $"(model {deployment.Model ?? "unknown"}, SKU {deployment.SkuName ?? "unknown"}) of {deployment.AccountId}. Events name deployments, not " +
            "accounts, so any event whose deployment equals this name (case-insensitively) counts as its traffic; " +
            $"{input.Usage.EventsWithoutDeployment} events in the window named no deployment.",
            input.WindowStart, input.WindowEnd,
            new Dictionary<string, decimal>
            {
                ["requests"] = 0,
                ["capacity"] = deployment.Capacity ?? 0,
                ["eventsWithoutDeployment"] = input.Usage.EventsWithoutDeployment,
            }),
        "Route this deployment's callers through ControlPlane (authorize and report usage with its deployment name), or delete the deployment if nothing uses it.",
        Math.Max(1, deployment.Capacity ?? 0));

    private static FindingCandidate? Idle(AiDeployment deployment, string? team, DeploymentTraffic traffic, ShadowAiRuleInput input, ShadowAiOptions options)
    {
        var perDay = RequestsPerDay(traffic.Requests, input.WindowStart, input.WindowEnd);
        if (perDay >= options.IdleRequestsPerDay)
        {
            return null;
        }

        var ptus = deployment.Capacity ?? 0;
        var hourly = (options.PtuHourlyUsd(deployment.SkuName) ?? 0m) * ptus;
        var hours = (decimal)(input.WindowEnd - input.WindowStart).TotalHours;
        return new FindingCandidate(
            FindingKinds.IdleProvisionedDeployment,
            new FindingSubject(SubjectTypes.Deployment, AiResourceTypes.Normalize(deployment.Id), team),
            traffic.Requests == 0 ? FindingSeverity.High : FindingSeverity.Medium,
            new FindingEvidence(
                $"Provisioned deployment '{deployment.Name}' ({deployment.SkuName}, {ptus} PTU, model {deployment.Model ?? "unknown"}) of {deployment.AccountId} " +
                $"recorded {traffic.Requests} calls between {Day(input.WindowStart)} and {Day(input.WindowEnd)}, " +
                $"{perDay.ToString("0.##", CultureInfo.InvariantCulture)} a day, under the idle threshold of {options.IdleRequestsPerDay.ToString(CultureInfo.InvariantCulture)} a day. " +
                "Calls are matched by deployment name.",
                input.WindowStart, input.WindowEnd,
                new Dictionary<string, decimal>
                {
                    ["requests"] = traffic.Requests,
                    ["requestsPerDay"] = decimal.Round(perDay, 4),
                    ["tokens"] = traffic.Tokens,
                    ["costUsd"] = traffic.CostUsd,
                    ["capacityPtu"] = ptus,
                    ["hourlyCommitmentUsd"] = hourly,
                    ["windowCommitmentUsd"] = hourly * hours,
                },
                new Dictionary<string, decimal> { ["idleRequestsPerDay"] = options.IdleRequestsPerDay },
                "Calls a day under which committed capacity counts as idle (ControlPlane:Audits:ShadowAi:IdleRequestsPerDay)."),
            traffic.Requests == 0
                ? "Nothing recorded calls this committed capacity: reduce or delete the deployment, or, if it is in use, route its callers through ControlPlane."
                : "Reduce the deployment's PTUs or move its few calls to a pay-as-you-go deployment.",
            hourly > 0 ? hourly : ptus);
    }

    private static string? TagValue(IReadOnlyDictionary<string, string> tags, string name) =>
        tags.FirstOrDefault(t => string.Equals(t.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static string Describe(AiResource resource) => resource.Type.ToLowerInvariant() switch
    {
        "microsoft.cognitiveservices/accounts" => $"{resource.Kind ?? "Cognitive Services"} account",
        "microsoft.machinelearningservices/workspaces" => $"Machine Learning workspace ({resource.Kind ?? "Default"})",
        "microsoft.search/searchservices" => "AI Search service",
        "microsoft.saas/resources" => $"Marketplace SaaS resource from {resource.Publisher}",
        _ => resource.Type,
    };

    private static string Day(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
}
