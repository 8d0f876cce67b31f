package dev.pgconvex.cli;

import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.schema.KeySpec;
import dev.pgconvex.source.config.SourceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that run the pipeline. Every external part left out is embedded.
 */
final class PipelineOptions {
  @Option(
      names = "--pg-url",
      description = "JDBC URL of the source database (default: an embedded Postgres).")
  String pgUrl;

  @Option(
      names = "--pg-user",
      defaultValue = "postgres",
      description = "Database user (default: ${DEFAULT-VALUE}).")
  String pgUser;

  @Option(
      names = "--pg-password-file",
      description =
          "File holding the database password (else the environment variable PG_PASSWORD).")
  Path pgPasswordFile;

  @Option(
      names = "--tables",
      split = ",",
      description =
          "Tables to mirror, schema.table or table, comma-separated (default: every table of"
              + " --schema that has a primary key).")
  List<String> tables = new ArrayList<>();

  @Mixin TableSelection selection = new TableSelection();

  @Option(
      names = "--relation",
      description =
          "A relation not declared as a foreign key: child.column[+column]->parent (repeatable),"
              + " e.g. threads.user_id->users.")
  List<String> relations = new ArrayList<>();

  @Option(names = "--kafka", description = "Kafka bootstrap servers (default: an embedded broker).")
  String kafka;

  @Option(
      names = "--convex-url",
      description = "Convex deployment URL (default: the embedded Convex emulator).")
  String convexUrl;

  @Option(
      names = "--convex-admin-key",
      description = "Convex admin or deploy key (else the environment variable CONVEX_ADMIN_KEY).")
  String convexAdminKey;

  @Option(
      names = "--mapping",
      description =
          "A mapping file (YAML: renames, type overrides, relations, exclusions)"
              + " applied to the catalog, or a resolved mapping (.json, from 'schema generate') used as is.")
  Path mapping;

  @Option(
      names = "--key",
      paramLabel = "TABLE=COLS",
      description =
          "Key columns of a table without a primary key: [schema.]table=col1[,col2]"
              + " (repeatable); NOT NULL columns, and the table needs REPLICA IDENTITY FULL. The"
              + " same as --set source.key.columns=schema.table:col1+col2")
  List<String> keys = new ArrayList<>();

  @Option(
      names = "--set",
      description =
          "A configuration key for the services, key=value (repeatable);"
              + " see docs/configuration.md.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(
      names = "--http-port",
      defaultValue = "0",
      description = "Port of /metrics and /health (default: a free port).")
  int httpPort;

  // --key entries join source.key.columns given with --set; a table in both is reported as given
  // twice when the configuration is checked
  private Map<String, String> withKeys(Map<String, String> set) {
    if (keys.isEmpty()) {
      return set;
    }
    List<String> entries = new ArrayList<>();
    String given = set.get(SourceConfig.KEY_COLUMNS);
    if (given != null && !given.isBlank()) {
      entries.add(given);
    }
    for (String k : keys) {
      KeySpec spec;
      try {
        spec = KeySpec.parse(k);
      } catch (IllegalArgumentException e) {
        throw new UserFacingException("--key: " + e.getMessage());
      }
      entries.add(spec.table() + ":" + String.join("+", spec.columns()));
    }
    Map<String, String> out = new LinkedHashMap<>(set);
    out.put(SourceConfig.KEY_COLUMNS, String.join(";", entries));
    return out;
  }

  PipelineSettings toSettings(Path workDir, boolean fresh, String database) throws IOException {
    Secret password = null;
    if (pgPasswordFile != null) {
      password = new Secret(Files.readString(pgPasswordFile).strip());
    } else if (System.getenv("PG_PASSWORD") != null) {
      password = new Secret(System.getenv("PG_PASSWORD"));
    }
    String key = convexAdminKey != null ? convexAdminKey : System.getenv("CONVEX_ADMIN_KEY");
    if (convexUrl != null && (key == null || key.isBlank())) {
      throw new UserFacingException(
          "--convex-url needs an admin key: pass --convex-admin-key or set" + " CONVEX_ADMIN_KEY");
    }
    return new PipelineSettings(
        pgUrl,
        pgUser,
        password,
        database,
        List.copyOf(tables),
        List.copyOf(relations),
        kafka,
        convexUrl,
        key == null ? null : new Secret(key),
        mapping,
        workDir,
        fresh,
        Map.copyOf(withKeys(overrides)),
        httpPort,
        selection.schema,
        List.copyOf(selection.excludeTables));
  }
}
