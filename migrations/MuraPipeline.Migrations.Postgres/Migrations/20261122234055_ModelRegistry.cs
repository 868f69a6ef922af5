using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ModelRegistry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "BodyPartMismatch",
                table: "views",
                type: "boolean",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SourceHeight",
                table: "views",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "SourceWidth",
                table: "views",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "BatchId",
                table: "scores",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ActivatedAt",
                table: "model_versions",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Active",
                table: "model_versions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Contract",
                table: "model_versions",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Thresholds",
                table: "model_versions",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "model_files",
                columns: table => new
                {
                    Sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Content = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_files", x => x.Sha256);
                    table.ForeignKey(
                        name: "FK_model_files_model_versions_Sha256",
                        column: x => x.Sha256,
                        principalTable: "model_versions",
                        principalColumn: "Sha256",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_scores_BatchId",
                table: "scores",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_model_versions_Active",
                table: "model_versions",
                column: "Active");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "model_files");

            migrationBuilder.DropIndex(
                name: "IX_scores_BatchId",
                table: "scores");

            migrationBuilder.DropIndex(
                name: "IX_model_versions_Active",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "BodyPartMismatch",
                table: "views");

            migrationBuilder.DropColumn(
                name: "SourceHeight",
                table: "views");

            migrationBuilder.DropColumn(
                name: "SourceWidth",
                table: "views");

            migrationBuilder.DropColumn(
                name: "BatchId",
                table: "scores");

            migrationBuilder.DropColumn(
                name: "ActivatedAt",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "Active",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "Contract",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "Thresholds",
                table: "model_versions");
        }
    }
}
