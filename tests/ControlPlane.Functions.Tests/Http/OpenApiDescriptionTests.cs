using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ControlPlane.Audits;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.OpenApi;

namespace ControlPlane.HttpTests;

/// <summary>
/// The OpenAPI document is something a client generator can use (issue 13): it validates, every keyed operation
/// names the x-api-key scheme, every problem answer is problem+json with its stable codes, and the codes a function's
/// class can answer are all listed — so a new code that nobody documents fails here.
/// </summary>
public sealed partial class OpenApiDescriptionTests
{
    /// <summary>
    /// Codes in *Errors classes that are never an HTTP answer: a deferrable request's outcome, recorded on it, three
    /// constants nothing in src uses today (report_period_too_old, reservation_already_settled, finding_conflict), and
    /// the OTLP receiver's span-level codes, which a 200 carries in partialSuccess.errorMessage.
    /// </summary>
    private static readonly HashSet<string> NotHttpAnswers =
    [
        ControlPlane.Reports.ReportErrors.PeriodTooOld, "reservation_already_settled", "finding_conflict",
        ControlPlane.Batch.BatchErrors.BatchCancelled, ControlPlane.Batch.BatchErrors.BatchExpired, ControlPlane.Batch.BatchErrors.BatchFailed,
        ControlPlane.Batch.BatchErrors.ReservationNotLive, ControlPlane.Batch.BatchErrors.ResultMissing, ControlPlane.Batch.BatchErrors.UploadRefused,
        ControlPlane.Telemetry.TelemetryErrors.AttributeInvalid, ControlPlane.Telemetry.TelemetryErrors.SpanIdInvalid,
    ];

    private static async Task<JsonElement> DocumentAsync() => JsonDocument.Parse(await OpenApiDescription.GetJsonAsync()).RootElement;

    private static IEnumerable<(string Path, string Verb, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (p.Name, o.Name, o.Value)));

    [Fact]
    public async Task Document_PassesTheOpenApiValidator_WithATitleVersionAndLicense()
    {
        var json = await OpenApiDescription.GetJsonAsync();

        var (document, diagnostic) = OpenApiDocument.Parse(json, "json");

        Assert.Empty(diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.NotNull(document);
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet())!.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal("ControlPlane API", document.Info.Title);
        Assert.Matches(@"^\d+\.\d+\.\d+$", document.Info.Version);
        Assert.Equal("MIT", document.Info.License?.Name);
        Assert.NotEmpty(document.Servers!);
    }

    [Fact]
    public async Task EveryProblemResponse_IsProblemJson_WithItsStableCodes()
    {
        var document = await DocumentAsync();

        var problem = document.GetProperty("components").GetProperty("schemas").GetProperty(OpenApiDescription.ProblemSchemaName);
        Assert.Equal(["code", "status", "title", "type"], problem.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal));
        Assert.True(problem.GetProperty("properties").TryGetProperty("errors", out _));
        foreach (var (path, verb, operation) in Operations(document))
        {
            var responses = operation.GetProperty("responses");
            foreach (var response in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var where = $"{verb.ToUpperInvariant()} {path} {response.Name}";
                var content = response.Value.GetProperty("content");
                if (path == "/v1/traces" && response.Name is "400" or "413" or "415")
                {
                    // The OTLP receiver's own failures are OTLP Status bodies in the request's encoding, as OTLP/HTTP requires.
                    Assert.Equal(["application/json", "application/x-protobuf"], content.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
                    continue;
                }

                var schema = content.GetProperty("application/problem+json").GetProperty("schema");
                Assert.True(schema.GetProperty("$ref").GetString() == $"#/components/schemas/{OpenApiDescription.ProblemSchemaName}", where);
                Assert.True(response.Value.GetProperty(OpenApiDescription.ErrorCodesExtension).GetArrayLength() > 0, $"{where} lists no codes.");
            }

            Assert.True(responses.TryGetProperty("500", out _), $"{verb} {path} has no 500.");
            if (operation.TryGetProperty("security", out _))
            {
                Assert.Equal([ControlPlane.Access.AccessErrors.KeyMissing, ControlPlane.Access.AccessErrors.KeyInvalid], Codes(responses.GetProperty("401")));
                Assert.Contains(ControlPlane.Access.AccessErrors.RoleForbidden, Codes(responses.GetProperty("403")));
            }
        }

        var upsertBudget = document.GetProperty("paths").GetProperty("/api/budgets/{id}").GetProperty("put").GetProperty("responses");
        Assert.Contains(ControlPlane.Budgets.BudgetErrors.PeriodInvalid, Codes(upsertBudget.GetProperty("400")));
        Assert.Contains(Problems.JsonInvalid, Codes(upsertBudget.GetProperty("400")));
        Assert.Equal([Problems.BodyTooLarge], Codes(upsertBudget.GetProperty("413")));
        Assert.Contains("audit_log_unavailable", Codes(upsertBudget.GetProperty("503")));
        var getBudget = document.GetProperty("paths").GetProperty("/api/budgets/{id}").GetProperty("get").GetProperty("responses");
        Assert.Equal([ControlPlane.Budgets.BudgetErrors.NotFound], Codes(getBudget.GetProperty("404")));
    }

    [Fact]
    public async Task OtlpReceiver_DocumentsItsProtobufAndJsonBodies_AndTheGatesProblems()
    {
        var traces = (await DocumentAsync()).GetProperty("paths").GetProperty("/v1/traces").GetProperty("post");
        var responses = traces.GetProperty("responses");

        Assert.True(traces.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/x-protobuf", out _));
        Assert.True(responses.GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.Equal([ControlPlane.Telemetry.TelemetryErrors.BodyInvalid, ControlPlane.Usage.UsageErrors.BatchTooLarge], Codes(responses.GetProperty("400")));
        Assert.Contains(ControlPlane.Telemetry.TelemetryErrors.EncodingUnsupported, Codes(responses.GetProperty("415")));
        // A storage outage during the key check is the gate's problem+json; during the export, an OTLP Status.
        Assert.Equal(["application/json", "application/problem+json", "application/x-protobuf"],
            responses.GetProperty("503").GetProperty("content").EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.True(responses.GetProperty("401").GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    [Fact]
    public async Task EveryCodeAFunctionClassMentions_IsListedByOneOfItsOperations()
    {
        var document = await DocumentAsync();
        var listed = Operations(document).ToDictionary(
            o => o.Operation.GetProperty("operationId").GetString()!,
            o => o.Operation.GetProperty("responses").EnumerateObject().SelectMany(r => Codes(r.Value)).ToHashSet(StringComparer.Ordinal));
        var root = RepositoryRoot();
        var missing = new List<string>();
        // The dashboard's page and files are for people, not API operations: the document leaves them out.
        foreach (var functions in FunctionIndex.Http.Where(f => listed.ContainsKey(f.Function.Name)).GroupBy(f => f.Function.Method.DeclaringType!))
        {
            var source = Directory.GetFiles(Path.Combine(root, "src", "ControlPlane.Functions"), "*.cs", SearchOption.AllDirectories)
                .Single(f => Regex.IsMatch(File.ReadAllText(f), $@"\bclass {functions.Key.Name}\b"));
            var answered = functions.SelectMany(f => listed[f.Function.Name]).ToHashSet(StringComparer.Ordinal);
            foreach (var code in CodesMentionedIn(File.ReadAllText(source), functions.Key).Where(c => !answered.Contains(c)))
            {
                missing.Add($"{functions.Key.Name} can answer {code}, which none of its operations lists: add [ProblemResponse(status, code)].");
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public async Task EveryStableErrorCode_IsListedBySomeOperation()
    {
        var document = await DocumentAsync();
        var listed = Operations(document).SelectMany(o => o.Operation.GetProperty("responses").EnumerateObject().SelectMany(r => Codes(r.Value)))
            .ToHashSet(StringComparer.Ordinal);

        var codes = ErrorClasses().Where(t => t != typeof(ControlPlane.Functions.Dashboard.DashboardErrors)).SelectMany(t => Constants(t).Select(c => (Class: t.Name, Code: c))).Where(c => !NotHttpAnswers.Contains(c.Code)).ToList();

        Assert.True(codes.Count > 100, $"Only {codes.Count} codes were found; are the *Errors classes still scanned?");
        Assert.Empty(codes.Where(c => !listed.Contains(c.Code)).Select(c => $"{c.Class}: {c.Code}"));
    }

    [Fact]
    public async Task EveryParameter_HasADescription_AndFixedSetsAreEnums()
    {
        var document = await DocumentAsync();

        foreach (var (path, verb, operation) in Operations(document))
        {
            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : default)
            {
                Assert.False(string.IsNullOrWhiteSpace(parameter.TryGetProperty("description", out var d) ? d.GetString() : null),
                    $"{verb.ToUpperInvariant()} {path}: parameter {parameter.GetProperty("name")} has no description.");
            }
        }

        Assert.Equal(FindingKinds.All, Enum(document, "/api/findings", "kind"));
        Assert.Equal(["open", "acknowledged", "resolved", "dismissed"], Enum(document, "/api/findings", "state"));
        Assert.Equal(["weekly", "monthly"], Enum(document, "/api/reports", "kind"));
        Assert.Contains("failed", Enum(document, "/api/orchestrations", "status"));
        Assert.Contains("pending", Enum(document, "/api/batch/requests", "status"));
    }

    [Fact]
    public async Task Schemas_MarkWhatIsAlwaysWrittenRequired_AndNullablesNot()
    {
        var document = await DocumentAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");

        var withRequired = schemas.EnumerateObject().Where(s => s.Value.TryGetProperty("required", out _)).ToList();
        Assert.True(withRequired.Count > 20, $"Only {withRequired.Count} schemas list required members.");
        foreach (var schema in withRequired.Where(s => s.Value.TryGetProperty("properties", out _)))
        {
            foreach (var name in schema.Value.GetProperty("required").EnumerateArray().Select(r => r.GetString()!))
            {
                Assert.True(schema.Value.GetProperty("properties").TryGetProperty(name, out _), $"{schema.Name} requires {name}, which it does not have.");
            }
        }

        var body = document.GetProperty("paths").GetProperty("/api/budgets/{id}").GetProperty("put").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var budgetRequest = body.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!.Split('/')[^1]) : body;
        Assert.False(budgetRequest.TryGetProperty("required", out _), "A request body's members are validated, not required by the schema.");
    }

    [Fact]
    public async Task ApiReference_IsServedWithoutKey_AsOneSmallSelfContainedPage()
    {
        await using var app = new ControlPlaneApp();

        var response = await app.Client(apiKey: null).GetAsync("/api/docs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("fetch(\"openapi.json\")", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.True(page.Length < 8 * 1024, $"The page is {page.Length} bytes.");
        Assert.Equal(HttpStatusCode.OK, (await app.Client(apiKey: null).GetAsync("/api/openapi.json")).StatusCode);
    }

    private static List<string> Codes(JsonElement response) =>
        response.TryGetProperty(OpenApiDescription.ErrorCodesExtension, out var codes) ? [.. codes.EnumerateArray().Select(c => c.GetString()!)] : [];

    private static List<string> Enum(JsonElement document, string path, string name) =>
        [.. document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == name).GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()!)];

    /// <summary>Every <c>XxxErrors.Name</c>, <c>Problems.Name</c> and the class's own <c>...Code</c> constants its source mentions.</summary>
    private static IEnumerable<string> CodesMentionedIn(string source, Type functions)
    {
        var classes = ErrorClasses().Append(typeof(Problems)).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (Match match in QualifiedConstant().Matches(source))
        {
            if (classes.TryGetValue(match.Groups[1].Value, out var type) && type.GetField(match.Groups[2].Value) is { IsLiteral: true } field)
            {
                yield return (string)field.GetRawConstantValue()!;
            }
        }

        foreach (var field in functions.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.Name.EndsWith("Code", StringComparison.Ordinal)))
        {
            yield return (string)field.GetRawConstantValue()!;
        }
    }

    private static IEnumerable<Type> ErrorClasses() =>
        new[] { typeof(FindingKinds).Assembly, typeof(Problems).Assembly }.SelectMany(a => a.GetTypes())
            .Where(t => t.IsAbstract && t.IsSealed && t.Name.EndsWith("Errors", StringComparison.Ordinal));

    private static IEnumerable<string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ControlPlane.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (ControlPlane.sln) was not found above the test output.");
    }

    [GeneratedRegex(@"\b([A-Z]\w*(?:Errors|Problems))\.([A-Z]\w*)\b")]
    private static partial Regex QualifiedConstant();
}
