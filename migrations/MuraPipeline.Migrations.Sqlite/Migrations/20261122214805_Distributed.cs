using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Distributed : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_studies_State",
                table: "studies");

            migrationBuilder.AddColumn<int>(
                name: "Requeues",
                table: "views",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "LastInstanceAt",
                table: "studies",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "studies",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LeaseUntil",
                table: "studies",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "scores",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ViewId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ModelSha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Probability = table.Column<double>(type: "REAL", nullable: false),
                    PredictedBodyPart = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    ScoredAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_scores", x => x.Id);
                    table.ForeignKey(
                        name: "FK_scores_views_ViewId",
                        column: x => x.ViewId,
                        principalTable: "views",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_studies_State_LastInstanceAt",
                table: "studies",
                columns: new[] { "State", "LastInstanceAt" });

            migrationBuilder.CreateIndex(
                name: "IX_scores_ViewId_ModelSha256",
                table: "scores",
                columns: new[] { "ViewId", "ModelSha256" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "scores");

            migrationBuilder.DropIndex(
                name: "IX_studies_State_LastInstanceAt",
                table: "studies");

            migrationBuilder.DropColumn(
                name: "Requeues",
                table: "views");

            migrationBuilder.DropColumn(
                name: "LastInstanceAt",
                table: "studies");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "studies");

            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "studies");

            migrationBuilder.CreateIndex(
                name: "IX_studies_State",
                table: "studies",
                column: "State");
        }
    }
}
