namespace ControlPlane.Client.Api;

/// <summary>What became of a reservation: <c>released</c> now, or the state it had already reached.</summary>
public sealed record ReleaseResponse(string ReservationId, string Status);
