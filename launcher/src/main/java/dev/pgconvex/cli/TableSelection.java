package dev.pgconvex.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Which tables a command takes when {@code --tables} names none: a schema, minus exclusions. */
final class TableSelection {
  @Option(
      names = "--schema",
      defaultValue = "public",
      description =
          "Without --tables: every table of this schema that can be mirrored (default:"
              + " ${DEFAULT-VALUE}).")
  String schema;

  @Option(
      names = "--exclude-tables",
      split = ",",
      description = "Without --tables: tables of --schema to leave out, comma-separated.")
  List<String> excludeTables = new ArrayList<>();
}
