using System.Net;
using System.Net.Sockets;

namespace ControlPlane.Testing;

/// <summary>Ports for the servers a test starts on loopback (Azurite, MailDev, fakes, hosts as processes).</summary>
public static class LoopbackPort
{
    /// <summary>A port the system had free a moment ago: it asks for port 0 and gives that back.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
