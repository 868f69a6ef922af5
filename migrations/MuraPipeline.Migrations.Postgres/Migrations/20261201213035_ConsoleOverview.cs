using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ConsoleOverview : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "replicas",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Roles = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ModelSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastSeenAt = table.Column<long>(type: "bigint", nullable: false),
                    LastBatchAt = table.Column<long>(type: "bigint", nullable: true),
                    Batches = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_replicas", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_views_State_ScoredAt",
                table: "views",
                columns: new[] { "State", "ScoredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_studies_State_Score_StudyInstanceUid",
                table: "studies",
                columns: new[] { "State", "Score", "StudyInstanceUid" });

            migrationBuilder.CreateIndex(
                name: "IX_replicas_LastSeenAt",
                table: "replicas",
                column: "LastSeenAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "replicas");

            migrationBuilder.DropIndex(
                name: "IX_views_State_ScoredAt",
                table: "views");

            migrationBuilder.DropIndex(
                name: "IX_studies_State_Score_StudyInstanceUid",
                table: "studies");
        }
    }
}
