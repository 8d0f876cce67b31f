package dev.pgconvex.cli;

import dev.pgconvex.common.mapping.Mapping;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which tables a tool command works on and how they map, as {@code run} mirrors them ({@code
 * verify}, {@code cutover}): {@code --tables} (else every table of {@code --schema} minus {@code
 * --exclude-tables}), {@code --relation} and {@code --mapping}.
 */
final class MappingOptions {
  @Option(
      names = "--tables",
      split = ",",
      description = "Tables, schema.table or table (default: every table of --schema).")
  List<String> tables = new ArrayList<>();

  @Mixin TableSelection selection = new TableSelection();

  @Option(
      names = "--relation",
      description = "A relation not declared as a foreign key, as for 'run' (repeatable).")
  List<String> relations = new ArrayList<>();

  @Option(
      names = "--mapping",
      description =
          "The mapping the pipeline runs with: a mapping file (YAML) or a resolved mapping (.json).")
  Path mapping;

  /** The mapping of the database {@code c} is connected to, as {@code run} would resolve it. */
  Mapping read(Connection c) throws SQLException {
    return dev.pgconvex.cli.pipeline.CatalogMapping.read(
        c, tables, relations, mapping, selection.schema, selection.excludeTables, Map.of());
  }
}
