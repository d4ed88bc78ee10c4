namespace ControlPlane.Validation;

/// <summary>
/// Parses an enum from exactly one of its names (any case). <c>Enum.TryParse</c> alone would also accept "1", "42",
/// " team" and comma-separated flag combinations such as "team,day" — and answer for a value nobody asked for.
/// </summary>
public static class EnumNames
{
    public static bool TryParse<T>(string? value, out T parsed)
        where T : struct, Enum
    {
        foreach (var name in Enum.GetNames<T>())
        {
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase))
            {
                parsed = Enum.Parse<T>(name);
                return true;
            }
        }

        parsed = default;
        return false;
    }

    /// <summary>The accepted names, lower case, in declaration order: "hard, soft".</summary>
    public static string Allowed<T>()
        where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));

    /// <summary>The accepted names of an enum known only at run time (the JSON converter's case).</summary>
    public static string Allowed(Type enumType) => string.Join(", ", Enum.GetNames(enumType).Select(n => n.ToLowerInvariant()));
}
