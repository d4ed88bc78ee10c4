using Reply = ControlPlane.Testing.Fakes.FakeReply;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Testing.Fakes;

/// <summary>
/// The listings the shadow-AI audit reads, in the shapes of the public REST reference:
/// <list type="bullet">
/// <item><c>GET /subscriptions</c> (Subscriptions - List): <c>{"value": [{id, subscriptionId, tenantId, displayName, state, ...}], "nextLink"?}</c>.</item>
/// <item><c>GET /subscriptions/{id}/resources?$filter=</c> (Resources - List): <c>{"value": [{id, name, type, kind, location, sku, plan, tags}], "nextLink"?}</c>;
/// the filter is honoured for <c>resourceType eq '...'</c> terms joined by <c>or</c> (case-insensitive), anything else is
/// 400 <c>InvalidFilterInQueryString</c>. A subscription set to refuse answers 403 <c>AuthorizationFailed</c>; an unknown one 404 <c>SubscriptionNotFound</c>.</item>
/// <item><c>GET {account id}/deployments</c> (Deployments - List): <c>{"value": [{id, type, name, sku {name, capacity}, properties {model {format, name, version}, provisioningState}}], "nextLink"?}</c>.</item>
/// </list>
/// Lists are cut in pages of <see cref="PageSize"/>; <c>nextLink</c> is an https URL on <see cref="PublicEndpoint"/> with a <c>$skiptoken</c>.
/// </summary>
public sealed partial class FakeArmServer
{
    public const string TenantId = "72f988bf-0000-0000-0000-000000000000";

    private readonly List<string> _subscriptions = [];
    private readonly HashSet<string> _refusingSubscriptions = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<JsonObject> _resources = [];
    private readonly List<JsonObject> _deployments = [];
    private readonly HashSet<string> _refusingAccounts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Entries per page of every list; smaller lists come in one page without <c>nextLink</c>. Default 100.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Adds a subscription the identity can list; with <paramref name="refuses"/> its resource listing answers 403.</summary>
    public void AddSubscription(string subscriptionId, bool refuses = false)
    {
        lock (_gate)
        {
            _subscriptions.Add(subscriptionId);
            if (refuses)
            {
                _refusingSubscriptions.Add(subscriptionId);
            }
        }
    }

    /// <summary>Adds a resource and returns its id. <paramref name="planPublisher"/> gives it a marketplace plan (SaaS resources).</summary>
    public string AddResource(string subscriptionId, string resourceGroup, string type, string name, string? kind = null,
        IReadOnlyDictionary<string, string>? tags = null, string? skuName = null, string? planPublisher = null, string location = "eastus")
    {
        var id = $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/{type}/{name}";
        var resource = new JsonObject { ["id"] = id, ["name"] = name, ["type"] = type, ["location"] = location };
        if (kind is not null)
        {
            resource["kind"] = kind;
        }

        if (skuName is not null)
        {
            resource["sku"] = new JsonObject { ["name"] = skuName };
        }

        if (planPublisher is not null)
        {
            resource["plan"] = new JsonObject { ["name"] = "default", ["publisher"] = planPublisher, ["product"] = $"{planPublisher}-offer" };
        }

        if (tags is not null)
        {
            resource["tags"] = new JsonObject(tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value))));
        }

        lock (_gate)
        {
            _resources.Add(resource);
        }

        return id;
    }

    /// <summary>Adds a model deployment to an account and returns its id.</summary>
    public string AddDeployment(string accountId, string name, string model, string skuName, int capacity, string modelVersion = "2024-08-06")
    {
        var id = $"{accountId}/deployments/{name}";
        lock (_gate)
        {
            _deployments.Add(new JsonObject
            {
                ["id"] = id,
                ["type"] = "Microsoft.CognitiveServices/accounts/deployments",
                ["name"] = name,
                ["sku"] = new JsonObject { ["name"] = skuName, ["capacity"] = capacity },
                ["properties"] = new JsonObject
                {
                    ["model"] = new JsonObject { ["format"] = "OpenAI", ["name"] = model, ["version"] = modelVersion },
                    ["versionUpgradeOption"] = "OnceNewDefaultVersionAvailable",
                    ["provisioningState"] = "Succeeded",
                },
            });
        }

        return id;
    }

    /// <summary>The account's deployment listing answers 403 <c>AuthorizationFailed</c> (a deny assignment, a role scoped below the subscription).</summary>
    public void RefuseDeployments(string accountId)
    {
        lock (_gate)
        {
            _refusingAccounts.Add(accountId);
        }
    }

    /// <summary>Answers a listing, or null when the path is not one (the scale-set endpoints take it).</summary>
    private Reply? ServeInventory(string method, string path, IQueryCollection query, string apiVersion)
    {
        var segments = path.Trim('/').Split('/');
        if (method != "GET")
        {
            return null;
        }

        if (segments is ["subscriptions"])
        {
            return Page(path, query, apiVersion, [.. _subscriptions.Select(RenderSubscription)], filter: null);
        }

        if (segments is ["subscriptions", var subscriptionId, "resources"])
        {
            if (!_subscriptions.Contains(subscriptionId, StringComparer.OrdinalIgnoreCase))
            {
                return Error(404, "SubscriptionNotFound", $"The subscription '{subscriptionId}' could not be found.");
            }

            if (_refusingSubscriptions.Contains(subscriptionId))
            {
                return Error(403, "AuthorizationFailed",
                    $"The client '00000000-0000-0000-0000-00000000c0de' with object id '00000000-0000-0000-0000-00000000c0de' does not have authorization to perform action " +
                    $"'Microsoft.Resources/subscriptions/resources/read' over scope '/subscriptions/{subscriptionId}' or the scope is invalid.");
            }

            var filter = query["$filter"].ToString();
            if (!TryParseTypeFilter(filter, out var types))
            {
                return Error(400, "InvalidFilterInQueryString", $"Invalid $filter '{filter}' specified in the query string.");
            }

            var prefix = $"/subscriptions/{subscriptionId}/";
            var matching = _resources
                .Where(r => r["id"]!.GetValue<string>().StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Where(r => types is null || types.Contains(r["type"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase))
                .Select(r => (JsonNode)r.DeepClone())
                .ToList();
            return Page(path, query, apiVersion, matching, filter.Length > 0 ? filter : null);
        }

        if (segments.Length == 9 && segments[^1].Equals("deployments", StringComparison.OrdinalIgnoreCase)
            && path.Contains("/providers/Microsoft.CognitiveServices/accounts/", StringComparison.OrdinalIgnoreCase))
        {
            var accountId = path[..path.LastIndexOf('/')];
            if (!_resources.Any(r => string.Equals(r["id"]!.GetValue<string>(), accountId, StringComparison.OrdinalIgnoreCase)))
            {
                return Error(404, "ResourceNotFound", $"The Resource 'Microsoft.CognitiveServices/accounts/{segments[7]}' under resource group '{segments[3]}' was not found.");
            }

            if (_refusingAccounts.Contains(accountId))
            {
                return Error(403, "AuthorizationFailed",
                    $"The client does not have authorization to perform action 'Microsoft.CognitiveServices/accounts/deployments/read' over scope '{accountId}'.");
            }

            return Page(path, query, apiVersion,
                [.. _deployments.Where(d => d["id"]!.GetValue<string>().StartsWith(accountId + "/", StringComparison.OrdinalIgnoreCase)).Select(d => d.DeepClone())],
                filter: null);
        }

        return null;
    }

    /// <summary>One page from <c>$skiptoken</c> on, with a <c>nextLink</c> when more remain.</summary>
    private Reply Page(string path, IQueryCollection query, string apiVersion, List<JsonNode> all, string? filter)
    {
        var skip = int.TryParse(query["$skiptoken"], NumberStyles.None, CultureInfo.InvariantCulture, out var token) ? token : 0;
        var page = new JsonObject { ["value"] = new JsonArray([.. all.Skip(skip).Take(PageSize)]) };
        if (skip + PageSize < all.Count)
        {
            var next = $"{path}?api-version={Uri.EscapeDataString(apiVersion)}&%24skiptoken={skip + PageSize}"
                + (filter is null ? string.Empty : $"&%24filter={Uri.EscapeDataString(filter)}");
            page["nextLink"] = new Uri(PublicEndpoint, next).AbsoluteUri;
        }

        return new Reply(200, page);
    }

    private static JsonNode RenderSubscription(string id) => new JsonObject
    {
        ["id"] = $"/subscriptions/{id}",
        ["authorizationSource"] = "RoleBased",
        ["managedByTenants"] = new JsonArray(),
        ["subscriptionId"] = id,
        ["tenantId"] = TenantId,
        ["displayName"] = $"Subscription {id[..8]}",
        ["state"] = "Enabled",
        ["subscriptionPolicies"] = new JsonObject { ["locationPlacementId"] = "Public_2014-09-01", ["quotaId"] = "EnterpriseAgreement_2014-09-01", ["spendingLimit"] = "Off" },
    };

    /// <summary>Null types for no filter; otherwise the types of <c>resourceType eq '...'</c> terms joined by <c>or</c>.</summary>
    private static bool TryParseTypeFilter(string filter, out List<string>? types)
    {
        types = null;
        if (filter.Length == 0)
        {
            return true;
        }

        types = [];
        foreach (var term in OrSeparator().Split(filter.Trim()))
        {
            var match = TypeTerm().Match(term.Trim());
            if (!match.Success)
            {
                return false;
            }

            types.Add(match.Groups[1].Value);
        }

        return true;
    }

    [GeneratedRegex(@"\s+or\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OrSeparator();

    [GeneratedRegex(@"^resourceType\s+eq\s+'([^']+)'$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TypeTerm();
}
