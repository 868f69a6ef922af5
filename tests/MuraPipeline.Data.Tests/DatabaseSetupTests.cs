using Npgsql;

namespace MuraPipeline.Data.Tests;

public sealed class DatabaseSetupTests
{
    [Fact]
    public void A_postgres_connection_string_gets_no_reset_on_close_and_keeps_everything_else()
    {
        var b = new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString("Host=db.example;Port=5433;Database=mura;Username=u;Password=p;Maximum Pool Size=7"));
        Assert.True(b.NoResetOnClose);
        Assert.Equal(("db.example", 5433, "mura", "u", "p", 7), (b.Host, b.Port, b.Database, b.Username, b.Password, b.MaxPoolSize));
    }

    [Theory]
    [InlineData("Host=h;No Reset On Close=false")]
    [InlineData("Host=h;noresetonclose=False")]
    public void An_operator_who_sets_no_reset_on_close_keeps_it(string connectionString)
    {
        Assert.Equal(connectionString, DatabaseSetup.PostgresConnectionString(connectionString));
        Assert.False(new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString(connectionString)).NoResetOnClose);
    }
}
