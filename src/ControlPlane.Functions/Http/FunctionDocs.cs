namespace ControlPlane.Functions.Http;

/// <summary>
/// Documents a JSON request body in the OpenAPI document. The function reads the body itself (with its own size
/// limit and problem codes), so nothing binds it; this says what it expects.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsJsonAttribute(Type bodyType) : Attribute
{
    public Type BodyType { get; } = bodyType;
}

/// <summary>
/// Documents a query parameter the function reads from the request. Functions read the query themselves (see
/// <see cref="QueryValues"/>) so that a bad value is a problem with the function's own code under either host.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class QueryParameterAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;

    /// <summary>The value's type in the document: string unless said otherwise.</summary>
    public Type Type { get; init; } = typeof(string);
}

/// <summary>Reading the query string: the last value of a name, or null when it is absent or empty.</summary>
public static class QueryValues
{
    public static string? Text(this HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[^1]) ? values[^1] : null;
}
