namespace ControlPlane.Client.Api;

/// <summary><c>GET /api/killswitches/check</c> answer: blocked, and by which switches.</summary>
public sealed record KillSwitchCheck(bool Blocked, IReadOnlyList<KillSwitchState> By);
