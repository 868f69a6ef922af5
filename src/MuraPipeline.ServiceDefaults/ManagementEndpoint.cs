namespace MuraPipeline.ServiceDefaults;

/// <summary>Where the management API is (with no credentials in it) and whom to call it as.</summary>
public sealed record ManagementEndpoint(Uri Uri, string Username, string Password)
{
    public System.Net.Http.Headers.AuthenticationHeaderValue Authorization() =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Username}:{Password}")));

    public override string ToString() => Uri.ToString();
}
