using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
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
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Node = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Retrieve = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Query = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    MaxConcurrent = table.Column<int>(type: "integer", nullable: false),
                    StudiesPerMinute = table.Column<double>(type: "double precision", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pull_jobs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pull_studies",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    JobId = table.Column<Guid>(type: "uuid", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StudyDate = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: true),
                    Modalities = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    BodyPart = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Instances = table.Column<int>(type: "integer", nullable: true),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    Retrieved = table.Column<int>(type: "integer", nullable: false),
                    Skipped = table.Column<int>(type: "integer", nullable: false),
                    FailedInstances = table.Column<int>(type: "integer", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    LeaseUntil = table.Column<long>(type: "bigint", nullable: true),
                    NotBefore = table.Column<long>(type: "bigint", nullable: true),
                    StartedAt = table.Column<long>(type: "bigint", nullable: true),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true)
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
