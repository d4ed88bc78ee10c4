namespace ControlPlane.Validation;

/// <summary>A validated value, or every problem that stopped it being one.</summary>
public sealed record ValidationResult<T>(T Value, IReadOnlyList<ValidationError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
