using ControlPlane.Client.Usage;
using Microsoft.Extensions.AI;

namespace ControlPlane.Client.Chat;

/// <summary><c>builder.UseControlPlane(reporter)</c>: authorize before and report after every call of the pipeline.</summary>
public static class ControlPlaneChatClientBuilderExtensions
{
    public static ChatClientBuilder UseControlPlane(this ChatClientBuilder builder, UsageReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(reporter);
        return builder.Use(inner => new ControlPlaneChatClient(inner, reporter));
    }
}
