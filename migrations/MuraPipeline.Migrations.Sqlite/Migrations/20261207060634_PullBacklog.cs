using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class PullBacklog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "SearchQueries",
                table: "pull_jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_pull_studies_JobId_FinishedAt",
                table: "pull_studies",
                columns: new[] { "JobId", "FinishedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pull_studies_JobId_State_StudyDate_StudyInstanceUid",
                table: "pull_studies",
                columns: new[] { "JobId", "State", "StudyDate", "StudyInstanceUid" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_pull_studies_JobId_FinishedAt",
                table: "pull_studies");

            migrationBuilder.DropIndex(
                name: "IX_pull_studies_JobId_State_StudyDate_StudyInstanceUid",
                table: "pull_studies");

            migrationBuilder.DropColumn(
                name: "SearchQueries",
                table: "pull_jobs");
        }
    }
}
