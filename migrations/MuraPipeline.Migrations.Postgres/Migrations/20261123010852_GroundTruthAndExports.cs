using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class GroundTruthAndExports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "export_runs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Trigger = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Instance = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    FromWatermark = table.Column<long>(type: "bigint", nullable: false),
                    ToWatermark = table.Column<long>(type: "bigint", nullable: true),
                    Studies = table.Column<int>(type: "integer", nullable: false),
                    Images = table.Column<int>(type: "integer", nullable: false),
                    Skipped = table.Column<int>(type: "integer", nullable: false),
                    Folder = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    Error = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    TrainingStatus = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    CandidateSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CandidateKappa = table.Column<double>(type: "double precision", nullable: true),
                    ActiveKappa = table.Column<double>(type: "double precision", nullable: true),
                    TrainingDetail = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_export_runs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "exported_studies",
                columns: table => new
                {
                    StudyInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Patient = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    StudyNumber = table.Column<int>(type: "integer", nullable: false),
                    Split = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    BodyPart = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Abnormal = table.Column<bool>(type: "boolean", nullable: false),
                    LastRunId = table.Column<long>(type: "bigint", nullable: false),
                    LastVerdictId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_exported_studies", x => x.StudyInstanceUid);
                });

            migrationBuilder.CreateTable(
                name: "verdicts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    StudyInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Abnormal = table.Column<bool>(type: "boolean", nullable: false),
                    BodyPart = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    ReaderId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    ReadAt = table.Column<long>(type: "bigint", nullable: false),
                    RecordedAt = table.Column<long>(type: "bigint", nullable: false),
                    Source = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_verdicts", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_export_runs_Status_Id",
                table: "export_runs",
                columns: new[] { "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_exported_studies_Patient_StudyNumber",
                table: "exported_studies",
                columns: new[] { "Patient", "StudyNumber" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_exported_studies_Split",
                table: "exported_studies",
                column: "Split");

            migrationBuilder.CreateIndex(
                name: "IX_verdicts_StudyInstanceUid_Id",
                table: "verdicts",
                columns: new[] { "StudyInstanceUid", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "export_runs");

            migrationBuilder.DropTable(
                name: "exported_studies");

            migrationBuilder.DropTable(
                name: "verdicts");
        }
    }
}
