using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "DerivativesRemovedAt",
                table: "views",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "OriginalRemovedAt",
                table: "views",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ContentRemovedAt",
                table: "result_objects",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_studies_State_ScoredAt",
                table: "studies",
                columns: new[] { "State", "ScoredAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_studies_State_ScoredAt",
                table: "studies");

            migrationBuilder.DropColumn(
                name: "DerivativesRemovedAt",
                table: "views");

            migrationBuilder.DropColumn(
                name: "OriginalRemovedAt",
                table: "views");

            migrationBuilder.DropColumn(
                name: "ContentRemovedAt",
                table: "result_objects");
        }
    }
}
