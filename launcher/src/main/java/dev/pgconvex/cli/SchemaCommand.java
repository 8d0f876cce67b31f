package dev.pgconvex.cli;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.schema.CatalogException;
import dev.pgconvex.schema.CatalogReader;
import dev.pgconvex.schema.FunctionsFolder;
import dev.pgconvex.schema.KeySpec;
import dev.pgconvex.schema.MappingFile;
import dev.pgconvex.schema.RelationSpec;
import dev.pgconvex.schema.SchemaDiff;
import dev.pgconvex.schema.TableDiscovery;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc schema generate|diff}: translates the Postgres catalog into a Convex functions
 * folder (schema.ts, validators.ts, the pipeline's module, the resolved mapping), and compares the
 * live catalog with a resolved mapping. Exit codes: 0 success (diff: no differences), 3 diff found
 * differences, 1 the catalog or mapping cannot be used, 2 usage errors.
 */
@Command(
    name = "schema",
    mixinStandardHelpOptions = true,
    description =
        "Translate the Postgres schema into a Convex schema, or compare it with a mapping.",
    subcommands = {SchemaCommand.Generate.class, SchemaCommand.Diff.class, EvolveCommand.class})
public final class SchemaCommand implements Runnable {
  /** Exit code of {@code diff} when the catalog and the mapping differ. */
  public static final int DIFFERENCES = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description =
          "Write a Convex functions folder (schema.ts, validators.ts, cdc/, _generated/) and the"
              + " resolved mapping (pgconvex.mapping.json) for the captured tables. Warnings go to"
              + " stderr.")
  static final class Generate implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin DatabaseOptions pg;

    @Option(
        names = "--tables",
        split = ",",
        paramLabel = "LIST",
        description = "[schema.]table,... (default: the tables of the mapping file)")
    List<String> tables = new ArrayList<>();

    @Option(
        names = "--relation",
        paramLabel = "SPEC",
        description =
            "A relation not declared as a foreign key: child.col[+col]->parent (repeatable)")
    List<String> relations = new ArrayList<>();

    @Option(
        names = "--key",
        paramLabel = "TABLE=COLS",
        description =
            "Key columns of a table without a primary key: [schema.]table=col1[,col2]"
                + " (repeatable); the columns must be NOT NULL and the table REPLICA IDENTITY"
                + " FULL. Also a table's key: [...] in the mapping file")
    List<String> keys = new ArrayList<>();

    @Mixin TableSelection selection;

    @Option(names = "--mapping", paramLabel = "FILE.yaml", description = "The mapping file")
    Path mappingFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder")
    Path out;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      List<RelationSpec> specs = new ArrayList<>();
      Map<String, List<String>> keyed;
      try {
        relations.forEach(r -> specs.add(RelationSpec.parse(r)));
        keyed = KeySpec.byTable(keys.stream().map(KeySpec::parse).toList());
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return 2;
      }
      try {
        MappingFile file = mappingFile == null ? MappingFile.EMPTY : MappingFile.read(mappingFile);
        Mapping mapping;
        try (Connection c = pg.connect("pgconvex-schema")) {
          List<String> taken = tables;
          if (taken.isEmpty()) {
            // The file says how tables are mirrored, not which (see CatalogMapping.read).
            TableDiscovery.Result found =
                TableDiscovery.discover(
                    c,
                    selection.schema,
                    Set.copyOf(file.excludedWith(selection.excludeTables)),
                    file.keyedWith(keyed.keySet()));
            found.skipped().forEach(line -> err.println("skipped: " + line));
            if (found.tables().isEmpty()) {
              err.println(
                  "error: schema '"
                      + selection.schema
                      + "' has no table to mirror: give --tables, or --schema");
              return 2;
            }
            err.println("tables: " + String.join(", ", found.tables()));
            taken = found.tables();
          }
          CatalogReader reader = new CatalogReader(c);
          mapping = reader.read(taken, specs, file, keyed);
          reader.warnings().forEach(w -> err.println("warning: " + w));
        }
        if (!mapping.sourceKeyColumns().isEmpty()) {
          // ./cdc run takes it from the mapping; a source deployed alone needs it in its config
          err.println(
              "key columns: a source run on its own needs source.key.columns="
                  + mapping.sourceKeyColumns());
        }
        FunctionsFolder.write(mapping, out);
        spec.commandLine()
            .getOut()
            .println(
                "Wrote "
                    + mapping.tables().size()
                    + " table(s) to "
                    + out.toAbsolutePath()
                    + " (schema.ts, validators.ts, cdc/, _generated/, pgconvex.mapping.json)");
        return 0;
      } catch (CatalogException e) {
        err.println("error: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "diff",
      mixinStandardHelpOptions = true,
      description =
          "Compare the live Postgres catalog with a resolved mapping (pgconvex.mapping.json)."
              + " Exit 0 when they agree, 3 when they differ.")
  static final class Diff implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin DatabaseOptions pg;

    @Option(
        names = "--mapping-json",
        required = true,
        paramLabel = "FILE",
        description = "The resolved mapping written by schema generate")
    Path mappingJson;

    @Option(
        names = "--tables",
        split = ",",
        paramLabel = "LIST",
        description = "Tables expected to be captured; those missing from the mapping are reported")
    List<String> tables = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      Mapping mapping;
      try {
        mapping = Mapping.read(mappingJson);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("error: " + mappingJson + ": " + e.getMessage());
        return 1;
      }
      SchemaDiff diff;
      try (Connection c = pg.connect("pgconvex-schema")) {
        diff = SchemaDiff.compare(c, mapping, tables);
      }
      spec.commandLine().getOut().println(diff.text());
      return diff.isEmpty() ? 0 : DIFFERENCES;
    }
  }
}
