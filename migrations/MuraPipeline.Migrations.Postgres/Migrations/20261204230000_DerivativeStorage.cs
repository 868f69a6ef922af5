using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using MuraPipeline.Data;

#nullable disable

namespace MuraPipeline.Migrations.Postgres.Migrations
{
    /// <summary>
    /// Derivatives are PNGs, already deflated: PostgreSQL's default storage for a large bytea tried to compress each
    /// one again (pglz) before storing it out of line, a tenth of the database's CPU in the distributed bench for
    /// nothing. EXTERNAL stores them out of line as they are. It applies to rows written from now on; the model does
    /// not change.
    /// </summary>
    [DbContext(typeof(MuraDbContext))]
    [Migration("20261204230000_DerivativeStorage")]
    public partial class DerivativeStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""ALTER TABLE view_images ALTER COLUMN "Png" SET STORAGE EXTERNAL;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""ALTER TABLE view_images ALTER COLUMN "Png" SET STORAGE EXTENDED;""");
        }
    }
}
