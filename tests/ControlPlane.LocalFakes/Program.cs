using System.Runtime.InteropServices;
using ControlPlane.Testing.Fakes;

// `azure-openai`: the fake Azure OpenAI Files + Batches API (the one the tests drive the real SDK against), on a free
// port. Prints the endpoint and key for the app's ControlPlane:AzureOpenAI settings, then runs until stopped.
if (args is not ["azure-openai"])
{
    await Console.Error.WriteLineAsync("usage: ControlPlane.LocalFakes azure-openai");
    return 2;
}

await using var server = await FakeAzureOpenAIServer.StartAsync();
server.FileProcessingLookups = 1; // as on Azure: a new file is "pending" for a moment

Console.WriteLine($"AZURE_OPENAI_ENDPOINT={server.BaseAddress}");
Console.WriteLine($"AZURE_OPENAI_API_KEY={server.ApiKey}");
Console.WriteLine($"Fake Azure OpenAI listening; deployments: {string.Join(", ", server.Deployments)}. Ctrl+C stops it.");

// Stop on SIGTERM (what scripts/dev.sh and scripts/demo.sh send when they stop), SIGINT (Ctrl+C) and SIGQUIT:
// cancel the runtime's default handling, so the server is disposed and the process exits 0 on its own.
var stopped = new TaskCompletionSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopped.TrySetResult();
}

using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
await stopped.Task;
return 0;
