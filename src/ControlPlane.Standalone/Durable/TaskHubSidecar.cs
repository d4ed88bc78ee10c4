using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Options;

namespace ControlPlane.Standalone.Durable;

/// <summary>
/// The task hub server (<see cref="TaskHubGrpcServer"/>) in a small host of its own, reached through an in-memory
/// channel: no port is opened, so nothing else on the machine can start or terminate orchestrations, and two hosts in
/// one process never collide. The server runs in its own host because it ties its dispatchers to that host's lifetime
/// (started when the host starts and a worker connects, stopped when the host stops).
/// </summary>
internal sealed class TaskHubSidecar : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly Lazy<HttpMessageInvoker> _server;

    public TaskHubSidecar(
        StopOnceOrchestrationService orchestrationService,
        IOrchestrationServiceClient orchestrationClient,
        IOptions<DurableTaskHostOptions> options,
        ILoggerFactory loggerFactory)
    {
        var mode = options.Value.Enabled ? TaskHubGrpcServerMode.ApiServerAndDispatcher : TaskHubGrpcServerMode.ApiServerOnly;
        _host = new HostBuilder()
            .ConfigureWebHost(web => web
                .UseTestServer()
                .ConfigureServices(services =>
                {
                    services.AddLogging();
                    services.AddSingleton(loggerFactory);
                    services.AddRouting();
                    services.AddGrpc();
                    services.AddSingleton<IOrchestrationService>(orchestrationService);
                    services.AddSingleton(orchestrationClient);
                    services.Configure<TaskHubGrpcServerOptions>(server => server.Mode = mode);
                    services.AddSingleton<TaskHubGrpcServer>();
                })
                .Configure(app => app.UseRouting().UseEndpoints(endpoints => endpoints.MapGrpcService<TaskHubGrpcServer>())))
            .Build();

        // The test server hands out its handler only once started; the channel exists before that (the worker and the
        // client are built from it), so it asks for the handler on its first call.
        var testServer = _host.GetTestServer();
        _server = new(() => new HttpMessageInvoker(testServer.CreateHandler()), LazyThreadSafetyMode.ExecutionAndPublication);
        Channel = GrpcChannel.ForAddress(testServer.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new InProcessHandler(_server),
            LoggerFactory = loggerFactory,

            // Histories and payloads travel whole; the default 4 MiB would fail a large orchestration in a way Azure does not.
            MaxReceiveMessageSize = null,
        });
    }

    /// <summary>The channel the worker and the client talk to the server through.</summary>
    public GrpcChannel Channel { get; }

    public Task StartAsync(CancellationToken cancellationToken) => _host.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _host.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (_server.IsValueCreated)
        {
            _server.Value.Dispose();
        }

        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _host.Dispose();
        }
    }

    private sealed class InProcessHandler(Lazy<HttpMessageInvoker> server) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            server.Value.SendAsync(request, cancellationToken);
    }
}
