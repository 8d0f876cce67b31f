package dev.pgconvex.cli.pipeline;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.schema.CatalogReader;
import dev.pgconvex.schema.MappingFile;
import dev.pgconvex.schema.RelationSpec;
import dev.pgconvex.schema.TableDiscovery;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which tables a pipeline mirrors and how: the one resolution {@code run}, {@code verify}, {@code
 * cutover} and the benchmarks share, from the live catalog, the named or default tables, the
 * relations and the mapping file. Stateless.
 */
public final class CatalogMapping {
  private static final Logger log = LoggerFactory.getLogger(CatalogMapping.class);

  private CatalogMapping() {}

  // A resolved mapping (JSON, as written by `schema generate`) is used as is; a mapping file (YAML)
  // is applied to
  // the live catalog.
  private static boolean isResolvedMapping(Path file) {
    return file != null
        && file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json");
  }

  /**
   * The mapping of a database: a resolved mapping file (.json) as is, else the catalog's tables
   * (those named, or every table of {@code schema} that can be mirrored, minus {@code exclude})
   * with the relations and the mapping file (YAML) applied.
   *
   * @param keys key columns given by configuration for tables without a primary key ({@code
   *     schema.table} to its columns; the mapping file's come through the file)
   */
  public static Mapping read(
      Connection c,
      List<String> tables,
      List<String> relationSpecs,
      Path mappingFile,
      String schema,
      List<String> exclude,
      Map<String, List<String>> keys)
      throws SQLException {
    if (isResolvedMapping(mappingFile)) {
      return Mapping.read(mappingFile);
    }
    List<RelationSpec> relations = relationSpecs.stream().map(RelationSpec::parse).toList();
    CatalogReader reader = new CatalogReader(c);
    MappingFile file = mappingFile == null ? MappingFile.EMPTY : MappingFile.read(mappingFile);
    if (tables.isEmpty()) {
      // The file says how tables are mirrored, not which: every table of the schema is taken,
      // keyless ones the file gives a key to included, those it marks include: false left out.
      tables = discoverTables(c, schema, file.excludedWith(exclude), file.keyedWith(keys.keySet()));
    }
    Mapping m = reader.read(tables, relations, file, keys);
    reader.warnings().forEach(w -> log.warn("{}", w));
    return m;
  }

  // No tables named: every table of the schema, saying which were taken and why others were not.
  private static List<String> discoverTables(
      Connection c, String schema, List<String> exclude, Set<String> keyed) throws SQLException {
    TableDiscovery.Result found =
        TableDiscovery.discover(c, schema, Set.copyOf(exclude), Set.copyOf(keyed));
    if (found.tables().isEmpty()) {
      throw new dev.pgconvex.schema.CatalogException(
          List.of(
              "schema '"
                  + schema
                  + "' has no table to mirror"
                  + (found.skipped().isEmpty()
                      ? ""
                      : " (" + String.join("; ", found.skipped()) + ")")
                  + ": give --tables, or --schema for another schema"));
    }
    log.info(
        "No --tables given: mirroring every table of schema '{}': {}",
        schema,
        String.join(", ", found.tables()));
    found.skipped().forEach(line -> log.warn("Not mirrored: {}", line));
    return found.tables();
  }
}
