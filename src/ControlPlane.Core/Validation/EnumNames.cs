namespace ControlPlane.Validation;

/// <summary>Parses an enum from its name only (any case); <c>Enum.TryParse</c> alone would also accept "1" or "42".</summary>
public static class EnumNames
{
    public static bool TryParse<T>(string? value, out T parsed)
        where T : struct, Enum =>
        Enum.TryParse(value, ignoreCase: true, out parsed) && !int.TryParse(value, out _);
}
