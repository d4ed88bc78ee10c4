using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;

namespace ControlPlane.Testing.Fakes;

/// <summary>Builds real <see cref="ArmClient"/>s that talk to a <see cref="FakeArmServer"/>.</summary>
public static class FakeArm
{
    /// <summary>
    /// An <see cref="ArmClient"/> for <paramref name="server"/>: its environment is the fake's https
    /// <see cref="FakeArmServer.PublicEndpoint"/> (the SDK refuses bearer tokens over http), its transport rewrites that
    /// name to the fake's http address, and its credential hands out a static token.
    /// </summary>
    /// <param name="options">Retry and other settings to keep, e.g. from <c>ArmScaleSetController.CreateClientOptions</c>; environment and transport are replaced.</param>
    public static ArmClient CreateClient(FakeArmServer server, ArmClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        options ??= new ArmClientOptions();
        options.Environment = new ArmEnvironment(server.PublicEndpoint, server.PublicEndpoint.AbsoluteUri);
        options.Transport = new HttpClientTransport(new HttpClient(new RewriteToFakeHandler(server.PublicEndpoint, server.BaseAddress)));
        return new ArmClient(new StaticTokenCredential(), defaultSubscriptionId: null, options);
    }

    /// <summary>Sends requests for the public https name to the fake's http address; anything else goes out unchanged.</summary>
    private sealed class RewriteToFakeHandler(Uri publicEndpoint, Uri fakeAddress) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri && Uri.Compare(uri, publicEndpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                request.RequestUri = new UriBuilder(uri) { Scheme = fakeAddress.Scheme, Host = fakeAddress.Host, Port = fakeAddress.Port }.Uri;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>The token endpoint is not faked: every scope gets the same token, which never expires.</summary>
    private sealed class StaticTokenCredential : TokenCredential
    {
        private static readonly AccessToken Token = new("fake-arm-token", DateTimeOffset.MaxValue);

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => Token;

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(Token);
    }
}
