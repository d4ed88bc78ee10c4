using Reply = ControlPlane.Testing.Fakes.FakeReply;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Testing.Fakes;

/// <summary>A request the fake received, as sent: method, path, query string (with <c>?</c>) and body.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string Body, bool HadBearerToken);

/// <summary>A scale set as the fake holds it.</summary>
public sealed record FakeScaleSet(string Id, string SkuName, int Capacity, string ProvisioningState);

/// <summary>
/// Azure Resource Manager's virtual machine scale set endpoints (and, in <c>FakeArmServer.Inventory.cs</c>, the
/// subscription, resource and deployment listings the shadow-AI audit reads), in memory, on Kestrel at <c>http://127.0.0.1:{free port}</c>.
/// Shapes follow the public REST reference (Microsoft.Compute <c>virtualMachineScaleSets</c> Get/Update and ARM's
/// asynchronous operations):
/// <list type="bullet">
/// <item><c>GET {id}?api-version=</c>: 200 with id, name, type, location, sku {name, tier, capacity}, properties.provisioningState; 404 <c>ResourceNotFound</c> / <c>ResourceGroupNotFound</c>.</item>
/// <item><c>PATCH {id}</c> with <c>{"sku":{"capacity":n}}</c>: 200 with the goal state (provisioningState <c>Updating</c>) and an
/// <c>Azure-AsyncOperation</c> header; 409 <c>OperationNotAllowed</c> while an earlier operation on the set is still running.</item>
/// <item><c>GET</c> on the operation URL: <c>{"status":"InProgress"}</c>, then <c>Succeeded</c>. An operation finishes (and the set's
/// provisioningState becomes <c>Succeeded</c>) once it has been looked at <see cref="PollsUntilDone"/> + 1 times, through its status
/// URL or through a GET of the set: Azure.Core ignores <c>Azure-AsyncOperation</c> on a PATCH answered 200 and polls the resource.</item>
/// <item>Every request needs <c>Authorization: Bearer</c> (401 <c>AuthenticationFailed</c>) and an <c>api-version</c> (400 <c>MissingApiVersionParameter</c>).</item>
/// </list>
/// URLs the fake hands out (operation status) are on <see cref="PublicEndpoint"/>, an https name, as ARM's are on
/// <c>https://management.azure.com</c>: the SDK sends bearer tokens only over https, so clients from <see cref="FakeArm.CreateClient"/>
/// rewrite that name to <see cref="BaseAddress"/> on the way out.
/// </summary>
public sealed partial class FakeArmServer : IAsyncDisposable
{
    public const string ScaleSetType = "Microsoft.Compute/virtualMachineScaleSets";

    private readonly WebApplication _app;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ScaleSetEntry> _scaleSets = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, OperationEntry> _operations = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<RecordedRequest> _requests = [];
    private readonly Queue<InjectedFailure> _failures = new();

    private FakeArmServer(WebApplication app, TimeProvider timeProvider)
    {
        _app = app;
        _timeProvider = timeProvider;
    }

    /// <summary>The https name clients address and the fake writes into the URLs it returns.</summary>
    public Uri PublicEndpoint { get; } = new("https://management.local.test");

    /// <summary>Where Kestrel really listens: <c>http://127.0.0.1:{port}</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>How many looks at a running operation still see it in progress (<c>InProgress</c> / <c>Updating</c>). Default 2.</summary>
    public int PollsUntilDone { get; set; } = 2;

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeArmServer> StartAsync(TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeArmServer(app, timeProvider ?? TimeProvider.System);
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address);
        return server;
    }

    /// <summary>Adds a scale set in state <c>Succeeded</c> and returns its ARM id.</summary>
    public string AddScaleSet(string name, string skuName = "Standard_NC24ads_A100_v4", int capacity = 0,
        string subscriptionId = "00000000-0000-0000-0000-000000000001", string resourceGroup = "rg-gpu", string location = "eastus")
    {
        var id = $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/{ScaleSetType}/{name}";
        lock (_gate)
        {
            _scaleSets[id] = new ScaleSetEntry(id, name, subscriptionId, resourceGroup, location, skuName, capacity, "Succeeded",
                Guid.NewGuid().ToString(), _timeProvider.GetUtcNow());
        }

        return id;
    }

    /// <summary>The scale set as the fake holds it now, or null.</summary>
    public FakeScaleSet? Find(string id)
    {
        lock (_gate)
        {
            return _scaleSets.TryGetValue(id, out var s) ? new FakeScaleSet(s.Id, s.SkuName, s.Capacity, s.ProvisioningState) : null;
        }
    }

    /// <summary>
    /// Starts an operation on the set that someone else (the portal, an autoscale rule) runs: the set is <c>Updating</c>
    /// and PATCHes get 409 until <see cref="FinishOtherOperation"/>.
    /// </summary>
    public void StartOtherOperation(string id)
    {
        lock (_gate)
        {
            var set = _scaleSets[id];
            set.ProvisioningState = "Updating";
            set.RunningOperation = new OperationEntry(Guid.NewGuid().ToString(), id, _timeProvider.GetUtcNow(), pollsUntilDone: int.MaxValue);
        }
    }

    /// <summary>Ends the operation begun by <see cref="StartOtherOperation"/>.</summary>
    public void FinishOtherOperation(string id)
    {
        lock (_gate)
        {
            var set = _scaleSets[id];
            set.RunningOperation = null;
            set.ProvisioningState = "Succeeded";
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests (of <paramref name="method"/> when given) are answered with
    /// <paramref name="status"/> and an ARM error body instead of being served; a <paramref name="retryAfterSeconds"/> adds <c>Retry-After</c>.
    /// </summary>
    public void FailNext(int count, int status, string? method = null, int? retryAfterSeconds = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _failures.Enqueue(new InjectedFailure(status, method, retryAfterSeconds));
            }
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests (of <paramref name="method"/> when given) are read and then never
    /// answered: Resource Manager went silent, and the client has only its own network timeout to go by.
    /// </summary>
    public void HangNext(int count, string? method = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _hangs.Enqueue(method);
            }
        }
    }

    private readonly Queue<string?> _hangs = new();

    /// <summary>Requests by method whose path is the scale set's id.</summary>
    public int CountRequests(string method, string id) =>
        Requests.Count(r => r.Method == method && string.Equals(r.Path, id, StringComparison.OrdinalIgnoreCase));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var path = request.Path.Value ?? "/";
        var hadToken = request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal);
        Reply? reply = null;
        bool hang;
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, body, hadToken));
            hang = _hangs.TryPeek(out var method) && (method is null || method == request.Method);
            if (hang)
            {
                _hangs.Dequeue();
            }

            if (!hang)
            {
                reply = Serve(request.Method, path, request.Query, hadToken, body);
            }
        }

        if (hang)
        {
            await FakeAzureOpenAIServer.Silence(context).ConfigureAwait(false);
            return;
        }

        await reply!.WriteAsync(context, "x-ms-request-id", "application/json; charset=utf-8").ConfigureAwait(false);
    }

    private Reply Serve(string method, string path, IQueryCollection query, bool hadToken, string body)
    {
        var apiVersion = query["api-version"].ToString();
        if (!hadToken)
        {
            return Error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
        }

        if (apiVersion.Length == 0)
        {
            return Error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }

        if (_failures.TryPeek(out var failure) && (failure.Method is null || failure.Method == method))
        {
            _failures.Dequeue();
            return InjectedError(failure);
        }

        if (method == "GET" && path.Contains("/providers/Microsoft.Compute/locations/", StringComparison.OrdinalIgnoreCase)
            && path.Contains("/operations/", StringComparison.OrdinalIgnoreCase))
        {
            return PollOperation(path[(path.LastIndexOf('/') + 1)..]);
        }

        if (ServeInventory(method, path, query, apiVersion) is { } inventory)
        {
            return inventory;
        }

        if (!path.Contains($"/providers/{ScaleSetType}/", StringComparison.OrdinalIgnoreCase))
        {
            return Error(404, "NotFound", $"The fake Resource Manager serves only {ScaleSetType}; it was asked for {method} {path}.");
        }

        if (!_scaleSets.TryGetValue(path, out var set))
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var group = segments.Length > 3 ? segments[3] : string.Empty;
            return _scaleSets.Values.Any(s => string.Equals(s.ResourceGroup, group, StringComparison.OrdinalIgnoreCase))
                ? Error(404, "ResourceNotFound", $"The Resource '{ScaleSetType}/{segments[^1]}' under resource group '{group}' was not found.")
                : Error(404, "ResourceGroupNotFound", $"Resource group '{group}' could not be found.");
        }

        if (method == "GET" && set.RunningOperation is { } running)
        {
            Observe(running);
        }

        return method switch
        {
            "GET" => new Reply(200, Render(set)),
            "PATCH" => Patch(set, body, apiVersion),
            _ => Error(405, "MethodNotAllowed", $"The fake does not serve {method} on a scale set."),
        };
    }

    private Reply Patch(ScaleSetEntry set, string body, string apiVersion)
    {
        if (set.RunningOperation is not null)
        {
            return Error(409, "OperationNotAllowed",
                $"Operation 'Update VM scale set' is not allowed on VM scale set '{set.Name}' since another operation is in progress.");
        }

        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return Error(400, "InvalidRequestContent", $"The request content was invalid and could not be deserialized: {e.Message}");
        }

        var sku = patch?["sku"];
        if (sku?["capacity"] is { } capacityNode)
        {
            if (capacityNode.GetValueKind() != JsonValueKind.Number || !capacityNode.AsValue().TryGetValue<long>(out var capacity) || capacity < 0)
            {
                return Error(400, "InvalidParameter", "The value of parameter sku.capacity is invalid.");
            }

            set.Capacity = (int)capacity;
        }

        if (sku?["name"]?.GetValue<string>() is { } skuName)
        {
            set.SkuName = skuName;
        }

        var operation = new OperationEntry(Guid.NewGuid().ToString(), set.Id, _timeProvider.GetUtcNow(), PollsUntilDone);
        _operations[operation.Name] = operation;
        set.RunningOperation = operation;
        set.ProvisioningState = "Updating";

        // As Compute does: 200 with the goal state, and the operation to poll. Clients must not take the 200 as done.
        var statusUrl = new Uri(PublicEndpoint,
            $"/subscriptions/{set.SubscriptionId}/providers/Microsoft.Compute/locations/{set.Location}/operations/{operation.Name}" +
            $"?p={Guid.NewGuid()}&api-version={apiVersion}");
        return new Reply(200, Render(set), [("Azure-AsyncOperation", statusUrl.AbsoluteUri), ("Azure-AsyncNotification", "Enabled")]);
    }

    private Reply PollOperation(string name)
    {
        if (!_operations.TryGetValue(name, out var operation))
        {
            return Error(404, "NotFound", $"Operation '{name}' was not found.");
        }

        Observe(operation);
        var status = new JsonObject
        {
            ["startTime"] = operation.StartTime.ToString("O", CultureInfo.InvariantCulture),
            ["name"] = operation.Name,
            ["status"] = operation.EndTime is null ? "InProgress" : "Succeeded",
        };
        if (operation.EndTime is { } endTime)
        {
            status["endTime"] = endTime.ToString("O", CultureInfo.InvariantCulture);
        }

        return new Reply(200, status);
    }

    /// <summary>
    /// One look at a running operation, through its status URL or a GET of the scale set (Azure.Core polls the
    /// resource itself after a PATCH answered 200): after <see cref="PollsUntilDone"/> looks it has finished.
    /// </summary>
    private void Observe(OperationEntry operation)
    {
        if (operation.EndTime is not null || ++operation.Polls <= operation.PollsUntilDone)
        {
            return;
        }

        operation.EndTime = _timeProvider.GetUtcNow();
        if (_scaleSets.TryGetValue(operation.ScaleSetId, out var set) && set.RunningOperation == operation)
        {
            set.RunningOperation = null;
            set.ProvisioningState = "Succeeded";
        }
    }

    private static JsonObject Render(ScaleSetEntry set) => new()
    {
        ["name"] = set.Name,
        ["id"] = set.Id,
        ["type"] = ScaleSetType,
        ["location"] = set.Location,
        ["sku"] = new JsonObject { ["name"] = set.SkuName, ["tier"] = "Standard", ["capacity"] = set.Capacity },
        ["properties"] = new JsonObject
        {
            ["singlePlacementGroup"] = false,
            ["orchestrationMode"] = "Uniform",
            ["upgradePolicy"] = new JsonObject { ["mode"] = "Manual" },
            ["provisioningState"] = set.ProvisioningState,
            ["overprovision"] = false,
            ["doNotRunExtensionsOnOverprovisionedVMs"] = false,
            ["uniqueId"] = set.UniqueId,
            ["timeCreated"] = set.TimeCreated.ToString("O", CultureInfo.InvariantCulture),
        },
    };

    private static Reply InjectedError(InjectedFailure failure)
    {
        var (code, message) = failure.Status switch
        {
            409 => ("Conflict", "The request conflicts with an operation in progress."),
            429 => ("TooManyRequests", "The request is being throttled as the limit has been reached for operation type."),
            500 => ("InternalServerError", "The server encountered an internal error; please retry the request."),
            503 => ("ServiceUnavailable", "The service is temporarily unavailable; please retry the request."),
            _ => ("Error", $"Injected failure {failure.Status}."),
        };
        return Error(failure.Status, code, message).WithRetryAfter("Retry-After", failure.RetryAfterSeconds);
    }

    private static Reply Error(int status, string code, string message) => FakeReply.Error(status, code, message);

    private sealed record InjectedFailure(int Status, string? Method, int? RetryAfterSeconds);

    private sealed class ScaleSetEntry(string id, string name, string subscriptionId, string resourceGroup, string location,
        string skuName, int capacity, string provisioningState, string uniqueId, DateTimeOffset timeCreated)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public string SubscriptionId { get; } = subscriptionId;
        public string ResourceGroup { get; } = resourceGroup;
        public string Location { get; } = location;
        public string UniqueId { get; } = uniqueId;
        public DateTimeOffset TimeCreated { get; } = timeCreated;
        public string SkuName { get; set; } = skuName;
        public int Capacity { get; set; } = capacity;
        public string ProvisioningState { get; set; } = provisioningState;
        public OperationEntry? RunningOperation { get; set; }
    }

    private sealed class OperationEntry(string name, string scaleSetId, DateTimeOffset startTime, int pollsUntilDone)
    {
        public string Name { get; } = name;
        public string ScaleSetId { get; } = scaleSetId;
        public DateTimeOffset StartTime { get; } = startTime;
        public int PollsUntilDone { get; } = pollsUntilDone;
        public int Polls { get; set; }
        public DateTimeOffset? EndTime { get; set; }
    }
}
