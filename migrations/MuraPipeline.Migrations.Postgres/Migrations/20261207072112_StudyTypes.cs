using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class StudyTypes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "BodyPartSource",
                table: "studies",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OutOfScopeReason",
                table: "studies",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "BodyPartSource",
                table: "studies");

            migrationBuilder.DropColumn(
                name: "OutOfScopeReason",
                table: "studies");
        }
    }
}
