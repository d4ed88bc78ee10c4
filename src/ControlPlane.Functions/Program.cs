using ControlPlane.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;

// Under the Functions host (Azure, or `func start`): the isolated worker with ASP.NET Core integration. The same
// function classes run without the host in src/ControlPlane.Standalone.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<WorkerHttpMiddleware>();
builder.Services.AddControlPlane(builder.Configuration);
builder.Build().Run();
