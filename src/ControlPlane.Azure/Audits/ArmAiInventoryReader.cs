using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.ResourceManager;
using Azure.ResourceManager.Resources;
using ControlPlane.Audits;

using ControlPlane.Azure.ResourceManager;

namespace ControlPlane.Azure.Audits;

/// <summary>
/// Reads a tenant's AI resources through Azure Resource Manager with the <c>Azure.ResourceManager</c> SDK: the
/// subscriptions the identity can read (<c>GET /subscriptions</c>), in each the resources of the audited types
/// (<c>GET /subscriptions/{id}/resources?$filter=resourceType eq '...' or ...</c>, tags, kind, SKU and plan included),
/// and each Cognitive Services account's deployments (<c>GET {account}/deployments</c>). The SDK follows
/// <c>nextLink</c> and retries 429 honouring <c>Retry-After</c>. A subscription or account that answers 403 is
/// reported, not thrown, so one unreadable subscription does not hide the others.
/// </summary>
public sealed class ArmAiInventoryReader(ArmClient client) : IAiInventoryReader
{
    /// <summary>The Cognitive Services management API version the deployments are read with (model, SKU, capacity).</summary>
    public const string DeploymentsApiVersion = "2024-10-01";

    /// <summary>
    /// Production wiring: the app's managed identity (<see cref="ShadowAiArmOptions.ManagedIdentityClientId"/> when
    /// user-assigned, else <see cref="DefaultAzureCredential"/>) against <see cref="ShadowAiArmOptions.Endpoint"/>.
    /// </summary>
    public static ArmAiInventoryReader Create(ShadowAiArmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TokenCredential credential = options.ManagedIdentityClientId is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        return new ArmAiInventoryReader(new ArmClient(credential, defaultSubscriptionId: null, CreateClientOptions(options)));
    }

    /// <summary>Client options with bounded retries: the SDK's policy retries 408/429/5xx and waits at least the <c>Retry-After</c> ARM sends.</summary>
    public static ArmClientOptions CreateClientOptions(ShadowAiArmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ArmClientSettings.Create(options.Endpoint, options.MaxRetries, options.RetryDelay, options.MaxRetryDelay, options.NetworkTimeout);
    }

    /// <summary>The <c>$filter</c> of the resource listing: every audited type, joined with <c>or</c>.</summary>
    public static string ResourceFilter { get; } = string.Join(" or ", AiResourceTypes.Listed.Select(t => $"resourceType eq '{t}'"));

    public async Task<ShadowAiInventory> ReadAsync(IReadOnlyList<string>? subscriptionIds, IReadOnlyCollection<string> aiSaasPublishers, CancellationToken cancellationToken = default)
    {
        var resources = new List<AiResource>();
        var deployments = new List<AiDeployment>();
        var read = new List<string>();
        var unreadable = new List<UnreadableSubscription>();
        var notes = new List<string>();
        await foreach (var subscription in SubscriptionsAsync(subscriptionIds, cancellationToken).ConfigureAwait(false))
        {
            var subscriptionId = subscription.Id.SubscriptionId!;
            var found = new List<AiResource>();
            try
            {
                await foreach (var resource in subscription.GetGenericResourcesAsync(filter: ResourceFilter, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (ToAiResource(resource.Data, aiSaasPublishers) is { } ai)
                    {
                        found.Add(ai);
                    }
                }
            }
            catch (RequestFailedException e) when (e.Status is 403 or 404)
            {
                // 403: the identity has no reader role there; 404: the subscription is gone or disabled. Either way the
                // others are still audited, and the run's result names this one.
                unreadable.Add(new UnreadableSubscription(subscriptionId, e.Status, e.ErrorCode));
                continue;
            }

            read.Add(subscriptionId);
            resources.AddRange(found);
            foreach (var account in found.Where(r => string.Equals(r.Type, AiResourceTypes.CognitiveServicesAccount, StringComparison.OrdinalIgnoreCase)))
            {
                try
                {
                    deployments.AddRange(await DeploymentsAsync(account.Id, cancellationToken).ConfigureAwait(false));
                }
                catch (RequestFailedException e) when (e.Status is 403 or 404)
                {
                    notes.Add($"Deployments of {account.Id} not readable ({e.Status} {e.ErrorCode}): its deployments are not audited.");
                }
            }
        }

        notes.Insert(0, $"Resource Manager: {read.Count} subscriptions read, {unreadable.Count} not readable; {resources.Count} AI resources, {deployments.Count} deployments.");
        return new ShadowAiInventory(resources, deployments, read, unreadable, notes);
    }

    private async IAsyncEnumerable<SubscriptionResource> SubscriptionsAsync(IReadOnlyList<string>? subscriptionIds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (subscriptionIds is not null)
        {
            foreach (var id in subscriptionIds)
            {
                yield return client.GetSubscriptionResource(SubscriptionResource.CreateResourceIdentifier(id));
            }

            yield break;
        }

        await foreach (var subscription in client.GetSubscriptions().GetAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return subscription;
        }
    }

    private static AiResource? ToAiResource(GenericResourceData data, IReadOnlyCollection<string> aiSaasPublishers)
    {
        var type = data.ResourceType.ToString();
        var publisher = data.Plan?.Publisher;
        if (publisher is null && data.Properties is { } properties)
        {
            // SaaS resources name their publisher in properties.publisherId when the listing carries no plan.
            using var document = JsonDocument.Parse(properties);
            publisher = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("publisherId", out var p)
                && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        }

        if (!AiResourceTypes.IsAiResource(type, publisher, aiSaasPublishers))
        {
            return null;
        }

        return new AiResource(data.Id.ToString(), data.Name, type, data.Kind, data.Location.ToString(), data.Id.ResourceGroupName,
            new Dictionary<string, string>(data.Tags, StringComparer.OrdinalIgnoreCase), data.Sku?.Name, publisher, "arm");
    }

    private async Task<IReadOnlyList<AiDeployment>> DeploymentsAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = new AccountDeployments(client, new ResourceIdentifier(accountId));
        var found = new List<AiDeployment>();
        await foreach (var entry in account.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (entry.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } deploymentId)
            {
                found.Add(ShadowAiUploadParser.ReadDeployment(entry, deploymentId, "arm"));
            }
        }

        return found;
    }

    /// <summary>
    /// An account's deployments, read through the ARM client's own pipeline (its credential, retry policy and
    /// transport): the Cognitive Services management package is not on our package feed, and this is one GET with
    /// paging, <c>{"value": [...], "nextLink": "..."}</c>.
    /// </summary>
    private sealed class AccountDeployments(ArmClient client, ResourceIdentifier id) : ArmResource(client, id)
    {
        public async IAsyncEnumerable<JsonElement> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Uri? next = new(Endpoint, $"{Id}/deployments?api-version={DeploymentsApiVersion}");
            while (next is not null)
            {
                using var message = Pipeline.CreateMessage();
                message.Request.Method = RequestMethod.Get;
                message.Request.Uri.Reset(next);
                await Pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
                if (message.Response.Status != 200)
                {
                    throw new RequestFailedException(message.Response);
                }

                using var page = await JsonDocument.ParseAsync(message.Response.ContentStream!, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (page.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var entry in value.EnumerateArray())
                    {
                        yield return entry.Clone();
                    }
                }

                next = page.RootElement.TryGetProperty("nextLink", out var link) && link.GetString() is { Length: > 0 } nextLink ? new Uri(nextLink) : null;
            }
        }
    }
}
