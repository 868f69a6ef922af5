using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Pull : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pull_jobs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Node = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Retrieve = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Query = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxConcurrent = table.Column<int>(type: "INTEGER", nullable: false),
                    StudiesPerMinute = table.Column<double>(type: "REAL", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pull_jobs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pull_studies",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    JobId = table.Column<Guid>(type: "TEXT", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StudyDate = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    Modalities = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    BodyPart = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Instances = table.Column<int>(type: "INTEGER", nullable: true),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    Retrieved = table.Column<int>(type: "INTEGER", nullable: false),
                    Skipped = table.Column<int>(type: "INTEGER", nullable: false),
                    FailedInstances = table.Column<int>(type: "INTEGER", nullable: false),
                    LeaseOwner = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    LeaseUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    NotBefore = table.Column<long>(type: "INTEGER", nullable: true),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pull_studies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_pull_studies_pull_jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "pull_jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pull_jobs_State_CreatedAt",
                table: "pull_jobs",
                columns: new[] { "State", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pull_studies_JobId_StudyInstanceUid",
                table: "pull_studies",
                columns: new[] { "JobId", "StudyInstanceUid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pull_studies_State_NotBefore",
                table: "pull_studies",
                columns: new[] { "State", "NotBefore" });

            migrationBuilder.CreateIndex(
                name: "IX_pull_studies_StudyInstanceUid",
                table: "pull_studies",
                column: "StudyInstanceUid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pull_studies");

            migrationBuilder.DropTable(
                name: "pull_jobs");
        }
    }
}
