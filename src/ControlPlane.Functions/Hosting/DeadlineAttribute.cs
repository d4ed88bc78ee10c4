namespace ControlPlane.Functions.Hosting;

/// <summary>
/// How long an HTTP function's request may wait on storage, when it is not <see cref="RequestDeadline.Request"/>.
/// Both hosts begin the deadline before the caller's key is looked up, so a key lookup that hangs is bounded too.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DeadlineAttribute(RequestDeadline deadline) : Attribute
{
    public RequestDeadline Deadline { get; } = deadline;
}
