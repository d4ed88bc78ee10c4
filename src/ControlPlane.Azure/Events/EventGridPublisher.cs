using Azure;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Events;

/// <summary>Section <c>ControlPlane:Events</c>: the Event Grid topic budget events go to. None configured = outbox only.</summary>
public sealed record EventsOptions
{
    public const string SectionName = "ControlPlane:Events";

    /// <summary>Topic endpoint, e.g. <c>https://{topic}.{region}-1.eventgrid.azure.net/api/events</c>.</summary>
    public Uri? TopicEndpoint { get; init; }

    /// <summary>Topic access key (sent as <c>aeg-sas-key</c>). Without one, managed identity is used (Azure disables local auth).</summary>
    public string? TopicKey { get; init; }
}

/// <summary>
/// Publishes budget (and other platform) events as CloudEvents 1.0 with the Event Grid SDK. The event id is the outbox id, so a
/// re-delivery after a crash between send and mark is recognisable as the same event by subscribers.
/// </summary>
public sealed class EventGridPublisher : IEventPublisher
{
    public const string Source = "/controlplane/budgets";
    private static readonly System.Text.Json.JsonSerializerOptions CamelCase = new(System.Text.Json.JsonSerializerDefaults.Web);
    private readonly EventGridPublisherClient? _client;

    public EventGridPublisher(EventsOptions options)
    {
        if (options.TopicEndpoint is not { } endpoint)
        {
            return;
        }

        var clientOptions = new EventGridPublisherClientOptions();
        Storage.TableProvider.ConfigureRetry(clientOptions.Retry);
        clientOptions.Retry.MaxRetries = 2;
        _client = options.TopicKey is { Length: > 0 } key
            ? new EventGridPublisherClient(endpoint, new AzureKeyCredential(key), clientOptions)
            : new EventGridPublisherClient(endpoint, new DefaultAzureCredential(), clientOptions);
    }

    public bool IsConfigured => _client is not null;

    public async Task PublishAsync(IReadOnlyList<BudgetEvent> events, CancellationToken cancellationToken = default)
    {
        if (_client is null || events.Count == 0)
        {
            return;
        }

        var cloudEvents = events.Select(e => new CloudEvent($"{Source}/{e.BudgetId}", e.Type, new
        {
            budgetId = e.BudgetId,
            scope = new { type = e.Scope.Type.ToString().ToLowerInvariant(), value = e.Scope.Value },
            period = e.PeriodKey,
            threshold = e.Threshold,
            spentUsd = e.SpentUsd,
            limitUsd = e.LimitUsd,
        })
        {
            Id = e.Id,
            Time = e.Time,
            Subject = $"budgets/{e.BudgetId}",
        });
        await _client.SendEventsAsync(cloudEvents, cancellationToken).ConfigureAwait(false);
    }

    public async Task PublishAsync(PlatformEvent platformEvent, CancellationToken cancellationToken = default)
    {
        if (_client is null)
        {
            return;
        }

        // camelCase, as the budget events' data and the REST API are.
        var data = BinaryData.FromObjectAsJson(platformEvent.Data, CamelCase);
        await _client.SendEventAsync(new CloudEvent(platformEvent.Source, platformEvent.Type, data, "application/json", CloudEventDataFormat.Json)
        {
            Id = platformEvent.Id,
            Time = platformEvent.Time,
            Subject = platformEvent.Subject,
        }, cancellationToken).ConfigureAwait(false);
    }
}
