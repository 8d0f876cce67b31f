package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.evolve.MigrationRecords;
import dev.pgconvex.cli.evolve.SchemaEvolution;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.CatalogReader;
import dev.pgconvex.schema.MappingFile;
import dev.pgconvex.schema.RelationSpec;
import dev.pgconvex.schema.evolve.EvolutionPlan;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.TableId;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc schema evolve widen|backfill|narrow|rollback|status}: follows Postgres DDL on a
 * running mirror in Convex's three steps (see {@link SchemaEvolution}). Exit codes: 0 done (or
 * nothing to evolve), 1 the step failed or may not run now (the message says why), 2 usage.
 */
@Command(
    name = "evolve",
    mixinStandardHelpOptions = true,
    description =
        "Follow Postgres DDL (columns added, renamed, dropped, retyped) on the running mirror:"
            + " widen, backfill, narrow.",
    subcommands = {
      EvolveCommand.Widen.class,
      EvolveCommand.Backfill.class,
      EvolveCommand.Narrow.class,
      EvolveCommand.Rollback.class,
      EvolveCommand.Status.class
    })
final class EvolveCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The options every step takes. */
  static final class Options {
    @Mixin DatabaseOptions pg;

    @Mixin ConvexOptions convex;

    @Option(
        names = "--functions",
        paramLabel = "DIR",
        description =
            "The deployed functions folder (schema generate's, with pgconvex.mapping.json, which"
                + " the transformer reads: transformer.mapping.file). Default: the convex/ folder"
                + " of ./cdc run's work dir (.cdc/run/convex)")
    Path functions;

    @Option(
        names = "--project",
        paramLabel = "DIR",
        description =
            "The Convex project to deploy from (package.json, node_modules/convex, the functions"
                + " in convex/). Default: the functions folder's parent when it is one, else a"
                + " project made beside the folder with the convex package the pipeline ships")
    Path project;

    @Option(
        names = "--deploy",
        description =
            "Deploy each schema with npx convex deploy (CONVEX_SELF_HOSTED_URL/ADMIN_KEY, or"
                + " CONVEX_DEPLOY_KEY for *.convex.cloud, from --convex-url and the admin key)."
                + " Without it the command is printed and the step waits for --deployed")
    boolean deploy;

    @Option(
        names = "--mapping",
        paramLabel = "FILE.yaml",
        description = "The mapping file the mirror was generated with (renames, types)")
    Path mappingFile;

    @Option(
        names = "--pipeline",
        defaultValue = "pgconvex",
        description =
            "The pipeline's name in cdc_migrations: its cdc.topic.prefix (default ${DEFAULT-VALUE})")
    String pipeline;

    @Option(
        names = "--signal-table",
        defaultValue = SourceConfig.DEFAULT_SIGNAL_TABLE,
        description = "The source's signal table (source.signal.table); default ${DEFAULT-VALUE}")
    String signalTable;

    @Option(
        names = "--timeout-s",
        defaultValue = "900",
        description = "How long the backfill may take before it fails (default ${DEFAULT-VALUE})")
    long timeoutS;

    Path functions() {
      return (functions != null ? functions : Path.of(".cdc", "run", "convex")).toAbsolutePath();
    }

    /** Runs {@code body} with the steps; turns a step's refusal into one line. */
    int with(PrintWriter out, Body body) throws Exception {
      if (!Files.isDirectory(functions())) {
        throw new UserFacingException(
            "no functions folder at "
                + functions()
                + ": give --functions, the folder ./cdc schema generate wrote and you deployed");
      }
      Properties props = pg.properties("pgconvex-evolve");
      String url = convex.urlOrNull();
      try (ConvexClient client = convex.client(Duration.ofSeconds(60))) {
        Secret key = convex.key();
        SchemaEvolution.Context ctx =
            new SchemaEvolution.Context(
                functions(),
                project == null ? null : project.toAbsolutePath(),
                deploy,
                () -> DriverManager.getConnection(pg.url, props),
                client,
                url,
                key,
                new MigrationRecords(client, pipeline),
                TableId.parse(signalTable),
                Duration.ofSeconds(timeoutS),
                out);
        try {
          return body.run(new SchemaEvolution(ctx));
        } catch (SchemaEvolution.StepException e) {
          throw new UserFacingException(e.getMessage());
        }
      }
    }

    /** The catalog's mapping of the running mapping's tables, read the way it was made. */
    Mapping readCatalog(Connection c, Mapping running) throws SQLException {
      List<String> tables = running.tables().stream().map(TableMapping::qualifiedName).toList();
      Map<String, List<String>> keys = new LinkedHashMap<>();
      running.tables().stream()
          .filter(TableMapping::configuredKey)
          .forEach(t -> keys.put(t.qualifiedName(), t.primaryKey()));
      MappingFile file = mappingFile == null ? MappingFile.EMPTY : MappingFile.read(mappingFile);
      Mapping m = new CatalogReader(c).read(tables, List.of(), file, keys);
      // Relations the catalog does not declare came from --relation: keep them.
      List<RelationSpec> extra = new ArrayList<>();
      for (TableMapping t : running.tables()) {
        TableMapping now = m.bySource(t.schema(), t.table()).orElse(null);
        for (RelationMapping r : t.relations()) {
          if (now != null && !now.relations().contains(r)) {
            TableMapping parent = running.byTarget(r.parentTable()).orElse(null);
            if (parent != null) {
              extra.add(
                  RelationSpec.parse(
                      t.qualifiedName()
                          + "."
                          + String.join("+", r.columns())
                          + "->"
                          + parent.qualifiedName()));
            }
          }
        }
      }
      return extra.isEmpty() ? m : new CatalogReader(c).read(tables, extra, file, keys);
    }
  }

  @FunctionalInterface
  interface Body {
    int run(SchemaEvolution steps) throws Exception;
  }

  @Command(
      name = "widen",
      mixinStandardHelpOptions = true,
      description =
          "Plan the evolution from the running mapping and the live catalog, write the widened"
              + " Convex schema (old and new fields optional), deploy it, then write the widened"
              + " mapping: the held tables go on.")
  static final class Widen implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Options o;

    @Option(
        names = "--deployed",
        description = "The widened folder of an earlier widen is deployed: write the mapping")
    boolean deployed;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      return o.with(
          out,
          steps -> {
            EvolutionPlan p = steps.widen(o::readCatalog, deployed);
            if (p == null) {
              out.println("Nothing to evolve: the catalog matches the running mapping.");
            }
            return 0;
          });
    }
  }

  @Command(
      name = "backfill",
      mixinStandardHelpOptions = true,
      description =
          "Re-read the changed tables from Postgres (an incremental snapshot through the running"
              + " source) so every document takes the new shape, then verify them by content.")
  static final class Backfill implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Options o;

    @Override
    public Integer call() throws Exception {
      return o.with(
          spec.commandLine().getOut(),
          steps -> {
            steps.backfill();
            return 0;
          });
    }
  }

  @Command(
      name = "narrow",
      mixinStandardHelpOptions = true,
      description =
          "After a verified backfill: write the final Convex schema (new fields required where"
              + " NOT NULL, old fields gone), deploy it, then write the final mapping.")
  static final class Narrow implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Options o;

    @Option(
        names = "--deployed",
        description = "The final folder of an earlier narrow is deployed: write the mapping")
    boolean deployed;

    @Override
    public Integer call() throws Exception {
      return o.with(
          spec.commandLine().getOut(),
          steps -> {
            if (deployed) {
              steps.narrowDeployed();
            } else {
              steps.narrow();
            }
            return 0;
          });
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = "Return a failed narrow to the widened schema and mapping.")
  static final class Rollback implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Options o;

    @Override
    public Integer call() throws Exception {
      return o.with(
          spec.commandLine().getOut(),
          steps -> {
            steps.rollback();
            return 0;
          });
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "The migration in progress and its steps as recorded in Convex (cdc_migrations).")
  static final class Status implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Options o;

    @Option(names = "--json", description = "The plan and the step rows as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      return o.with(
          out,
          steps -> {
            EvolutionPlan plan = steps.plan();
            EvolutionPlan pending = steps.preview(o::readCatalog);
            List<JsonNode> rows = new MigrationRecords(o.convex.client(), o.pipeline).rows(30);
            if (json) {
              var doc = Json.NODES.objectNode();
              doc.set("migration", plan == null ? null : Json.MAPPER.valueToTree(plan.tables()));
              doc.put("id", plan == null ? null : plan.id());
              doc.set(
                  "catalogChanges",
                  pending == null
                      ? Json.NODES.arrayNode()
                      : Json.MAPPER.valueToTree(pending.tables()));
              doc.set("steps", Json.MAPPER.valueToTree(rows));
              out.println(Json.write(doc));
              return 0;
            }
            if (plan == null) {
              out.println("No migration yet.");
            } else {
              out.println("Migration " + plan.id() + ":");
              plan.tables().forEach(t -> out.println("  " + t.describe()));
            }
            for (JsonNode r : rows) {
              out.printf(
                  "  %-8s %-10s %-12s %s%s%n",
                  r.path("step").asText(),
                  r.path("migration").asText(),
                  r.path("state").asText(),
                  r.has("total")
                      ? r.path("processed").asLong() + "/" + r.path("total").asLong() + " rows"
                      : "",
                  r.has("error") ? "  " + r.path("error").asText() : "");
            }
            out.println(
                pending == null
                    ? "The catalog matches the running mapping."
                    : "The catalog differs from the running mapping: "
                        + String.join(
                            "; ", pending.tables().stream().map(t -> t.describe()).toList())
                        + " (./cdc schema evolve widen)");
            return 0;
          });
    }
  }
}
