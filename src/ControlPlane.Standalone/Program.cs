using ControlPlane.Standalone.Durable;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddStandaloneDurableTask(builder.Configuration, _ => { });

var app = builder.Build();
app.Run();
