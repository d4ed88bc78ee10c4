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
/// Documents an operation that speaks a wire protocol of its own instead of JSON and problem+json (the OTLP/HTTP
/// receiver): its request, its success and the failures it answers itself (its <see cref="ProblemResponseAttribute"/>s)
/// are each in one of <see cref="MediaTypes"/>, in the request's. Failures the shared gate answers (401, 403, a 503 of
/// the key store, 500) stay problem+json.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProtocolBodiesAttribute(string request, string success, string failure, params string[] mediaTypes) : Attribute
{
    /// <summary>What the request body is, e.g. an OTLP <c>ExportTraceServiceRequest</c>.</summary>
    public string Request { get; } = request;

    /// <summary>What a success answers.</summary>
    public string Success { get; } = success;

    /// <summary>What the function's own failures answer, and where their stable code is.</summary>
    public string Failure { get; } = failure;

    public IReadOnlyList<string> MediaTypes { get; } = mediaTypes;
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

    /// <summary>
    /// An enum whose names are the only accepted values, as <see cref="ControlPlane.Validation.EnumNames"/> parses them
    /// (any case; listed in lower case). Documented as the parameter's <c>enum</c>.
    /// </summary>
    public Type? Enum { get; init; }

    /// <summary>The only accepted values, when they are not an enum's names (kebab-case kinds, for example).</summary>
    public string[]? Values { get; init; }
}

/// <summary>
/// A problem+json answer the function gives itself, with every stable code it may carry at that status. The document
/// adds those every function of its kind shares (a keyed function's 401 and 403, a JSON body's 400, 413 and 415, a
/// list's page codes, an audited change's 503); the OpenAPI tests fail when a code the function's class can answer is
/// listed nowhere.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ProblemResponseAttribute(int status, params string[] codes) : Attribute
{
    public int Status { get; } = status;
    public IReadOnlyList<string> Codes { get; } = codes;
}

/// <summary>Reading the query string: the last value of a name, or null when it is absent or empty.</summary>
public static class QueryValues
{
    public static string? Text(this HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[^1]) ? values[^1] : null;
}
