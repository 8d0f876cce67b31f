package dev.pgconvex.cli.pipeline;

import dev.pgconvex.common.config.Secret;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run the pipeline against. Each external part that is null falls back to the embedded
 * default.
 *
 * @param pgUrl JDBC URL of the source database, or null for an embedded Postgres
 * @param pgUser database user (ignored for the embedded one)
 * @param pgPassword database password, or null
 * @param database database name for the embedded Postgres
 * @param tables captured tables, {@code schema.table} or {@code table}
 * @param relations relations not declared in the catalog ({@code threads.user_id->users})
 * @param kafka bootstrap servers, or null for an embedded broker
 * @param convexUrl Convex deployment URL, or null for the embedded emulator
 * @param convexAdminKey admin key for {@code convexUrl}, or null
 * @param mappingFile a resolved mapping JSON to use instead of reading the catalog, or null
 * @param workDir where embedded servers keep their data and the generated Convex functions live
 * @param fresh wipe {@code workDir} first (demo, bench) instead of resuming (run)
 * @param schema with no tables given (and none in the mapping file): the schema whose tables are
 *     all mirrored
 * @param excludeTables tables left out of that default
 * @param overrides configuration keys for the services ({@code sink.batch.max.ops=500})
 * @param httpPort port of /metrics and /health, 0 for a free one
 */
public record PipelineSettings(
    String pgUrl,
    String pgUser,
    Secret pgPassword,
    String database,
    List<String> tables,
    List<String> relations,
    String kafka,
    String convexUrl,
    Secret convexAdminKey,
    Path mappingFile,
    Path workDir,
    boolean fresh,
    Map<String, String> overrides,
    int httpPort,
    String schema,
    List<String> excludeTables) {

  /** These settings with {@code file} as the mapping (a YAML mapping file or a resolved JSON). */
  public PipelineSettings withMappingFile(Path file) {
    return new PipelineSettings(
        pgUrl,
        pgUser,
        pgPassword,
        database,
        tables,
        relations,
        kafka,
        convexUrl,
        convexAdminKey,
        file,
        workDir,
        fresh,
        overrides,
        httpPort,
        schema,
        excludeTables);
  }

  /** These settings mirroring into the Convex deployment at {@code url} instead of an emulator. */
  public PipelineSettings withConvex(String url, Secret adminKey) {
    return new PipelineSettings(
        pgUrl,
        pgUser,
        pgPassword,
        database,
        tables,
        relations,
        kafka,
        url,
        adminKey,
        mappingFile,
        workDir,
        fresh,
        overrides,
        httpPort,
        schema,
        excludeTables);
  }

  /** These settings with {@code key=value} added to (or replacing one of) the overrides. */
  public PipelineSettings withOverride(String key, String value) {
    Map<String, String> o = new java.util.LinkedHashMap<>(overrides);
    o.put(key, value);
    return new PipelineSettings(
        pgUrl,
        pgUser,
        pgPassword,
        database,
        tables,
        relations,
        kafka,
        convexUrl,
        convexAdminKey,
        mappingFile,
        workDir,
        fresh,
        Map.copyOf(o),
        httpPort,
        schema,
        excludeTables);
  }
}
