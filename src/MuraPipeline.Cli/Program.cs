using MuraPipeline.Cli;

return await MuraCommandLine.Build().Parse(args).InvokeAsync();
