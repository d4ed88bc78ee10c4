using System.Diagnostics;
using SkiaSharp;

namespace ControlPlane.Reports.Rendering;

/// <summary>
/// The HTML report in a real browser: Debian's Chromium, headless, takes a screenshot of the page, and the charts are
/// on it — the same page with its images taken out shows none of their colours. <c>scripts/test.sh</c> installs
/// Chromium when it is missing; <c>CHROMIUM</c> names another binary. The screenshot is kept in the test's output
/// folder (<c>report-screenshot.png</c>) for a person to look at.
/// </summary>
public sealed class HtmlScreenshotTests
{
    [Fact]
    public async Task Report_RendersInHeadlessChromium_WithItsCharts()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } given ? given : "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"Chromium is not installed at {chromium}: scripts/test.sh installs Debian's chromium, or set CHROMIUM.");
        var content = SampleReport.Build();
        var html = ReportHtml.Render(content, ReportCharts.Render(content), ReportHtml.DataUri);
        var folder = Directory.CreateTempSubdirectory("controlplane-report-").FullName;

        var withCharts = await ScreenshotAsync(chromium, folder, "with-charts", html);
        var withoutCharts = await ScreenshotAsync(chromium, folder, "without-charts",
            System.Text.RegularExpressions.Regex.Replace(html, "src=\"data:image/png;base64,[^\"]+\"", "src=\"\""));
        File.Copy(Path.Combine(folder, "with-charts.png"), Path.Combine(AppContext.BaseDirectory, "report-screenshot.png"), overwrite: true);

        // The charts' bars and lines are the page's only saturated colours (text and rules are greys).
        Assert.True(withCharts > 20_000, $"The screenshot shows {withCharts} chart-coloured pixels; the charts did not render.");
        Assert.True(withoutCharts < withCharts / 20, $"Without its images the page still shows {withoutCharts} chart-coloured pixels.");
    }

    private static async Task<int> ScreenshotAsync(string chromium, string folder, string name, string html)
    {
        var page = Path.Combine(folder, name + ".html");
        var png = Path.Combine(folder, name + ".png");
        await File.WriteAllTextAsync(page, html);
        var start = new ProcessStartInfo(chromium)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--allow-file-access-from-files",
            $"--user-data-dir={Path.Combine(folder, "profile-" + name)}", "--window-size=760,3400", $"--screenshot={png}", new Uri(page).AbsoluteUri,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(File.Exists(png), $"Chromium wrote no screenshot (exit {process.ExitCode}): {await output}");

        using var bitmap = SKBitmap.Decode(png);
        var colourful = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Max(c.Red, Math.Max(c.Green, c.Blue)) - Math.Min(c.Red, Math.Min(c.Green, c.Blue)) > 60)
                {
                    colourful++;
                }
            }
        }

        return colourful;
    }
}
