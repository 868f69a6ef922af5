using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "model_versions",
                columns: table => new
                {
                    Sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Path = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    Metadata = table.Column<string>(type: "TEXT", nullable: true),
                    AddedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_versions", x => x.Sha256);
                });

            migrationBuilder.CreateTable(
                name: "studies",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    BodyPart = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    ViewCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ScoredViews = table.Column<int>(type: "INTEGER", nullable: false),
                    FailedViews = table.Column<int>(type: "INTEGER", nullable: false),
                    Score = table.Column<double>(type: "REAL", nullable: true),
                    Abnormal = table.Column<bool>(type: "INTEGER", nullable: true),
                    ModelSha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ScoredAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_studies", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "views",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    StudyId = table.Column<Guid>(type: "TEXT", nullable: false),
                    SopInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SourcePath = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    ViewPosition = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Probability = table.Column<double>(type: "REAL", nullable: true),
                    PredictedBodyPart = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    ModelSha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    Width = table.Column<int>(type: "INTEGER", nullable: false),
                    Height = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    QueuedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ScoredAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_views", x => x.Id);
                    table.ForeignKey(
                        name: "FK_views_studies_StudyId",
                        column: x => x.StudyId,
                        principalTable: "studies",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "heatmaps",
                columns: table => new
                {
                    ViewId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ModelSha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Width = table.Column<int>(type: "INTEGER", nullable: false),
                    Height = table.Column<int>(type: "INTEGER", nullable: false),
                    Grid = table.Column<byte[]>(type: "BLOB", nullable: false),
                    PeakX = table.Column<double>(type: "REAL", nullable: false),
                    PeakY = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_heatmaps", x => x.ViewId);
                    table.ForeignKey(
                        name: "FK_heatmaps_views_ViewId",
                        column: x => x.ViewId,
                        principalTable: "views",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "view_images",
                columns: table => new
                {
                    ViewId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Png = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_view_images", x => x.ViewId);
                    table.ForeignKey(
                        name: "FK_view_images_views_ViewId",
                        column: x => x.ViewId,
                        principalTable: "views",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_studies_State",
                table: "studies",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_studies_StudyInstanceUid",
                table: "studies",
                column: "StudyInstanceUid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_views_SopInstanceUid",
                table: "views",
                column: "SopInstanceUid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_views_State_QueuedAt",
                table: "views",
                columns: new[] { "State", "QueuedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_views_StudyId_State",
                table: "views",
                columns: new[] { "StudyId", "State" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "heatmaps");

            migrationBuilder.DropTable(
                name: "model_versions");

            migrationBuilder.DropTable(
                name: "view_images");

            migrationBuilder.DropTable(
                name: "views");

            migrationBuilder.DropTable(
                name: "studies");
        }
    }
}
