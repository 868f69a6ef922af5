using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ViewRetry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "RetryRequestedAt",
                table: "views",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_views_RetryRequestedAt",
                table: "views",
                column: "RetryRequestedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_views_RetryRequestedAt",
                table: "views");

            migrationBuilder.DropColumn(
                name: "RetryRequestedAt",
                table: "views");
        }
    }
}
