using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Results : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "result_objects",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    StudyId = table.Column<Guid>(type: "uuid", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ModelSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    SopClassUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SopInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SeriesInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ViewSopInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Content = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_result_objects", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "result_deliveries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ResultId = table.Column<Guid>(type: "uuid", nullable: false),
                    Destination = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "bigint", nullable: false),
                    LastError = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    SentAt = table.Column<long>(type: "bigint", nullable: true),
                    LeaseOwner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    LeaseUntil = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_result_deliveries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_result_deliveries_result_objects_ResultId",
                        column: x => x.ResultId,
                        principalTable: "result_objects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_result_deliveries_ResultId_Destination",
                table: "result_deliveries",
                columns: new[] { "ResultId", "Destination" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_result_deliveries_State_NextAttemptAt",
                table: "result_deliveries",
                columns: new[] { "State", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_result_objects_SopInstanceUid",
                table: "result_objects",
                column: "SopInstanceUid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_result_objects_StudyId_ModelSha256",
                table: "result_objects",
                columns: new[] { "StudyId", "ModelSha256" });

            migrationBuilder.CreateIndex(
                name: "IX_result_objects_StudyInstanceUid",
                table: "result_objects",
                column: "StudyInstanceUid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "result_deliveries");

            migrationBuilder.DropTable(
                name: "result_objects");
        }
    }
}
