package dev.pgconvex.sink;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Validator;
import java.util.Map;

/**
 * Configuration of the sink: {@link CommonConfig} plus the keys below; {@code kafka.*} keys are
 * passed to the sink's consumer and producer (prefix removed).
 *
 * <p>Batch limits must stay within the Convex functions' per-call maximum ({@code
 * convex/cdc/ingest.ts}: {@code MAX_BATCH_OPS} = 1000, {@code MAX_BATCH_ARG_BYTES} = 4 MiB).
 */
public final class SinkConfig {
  public static final String CONVEX_URL = "convex.url";
  public static final String CONVEX_ADMIN_KEY = "convex.admin.key";
  public static final String REQUEST_TIMEOUT_MS = "convex.request.timeout.ms";
  public static final String CONNECT_TIMEOUT_MS = "convex.connect.timeout.ms";
  public static final String BATCH_MAX_OPS = "sink.batch.max.ops";
  public static final String BATCH_MAX_BYTES = "sink.batch.max.bytes";
  public static final String BATCH_LINGER_MS = "sink.batch.linger.ms";
  public static final String MAX_IN_FLIGHT = "sink.max.in.flight.batches";
  public static final String BACKOFF_INITIAL_MS = "sink.retry.backoff.initial.ms";
  public static final String BACKOFF_MAX_MS = "sink.retry.backoff.max.ms";
  public static final String SHUTDOWN_TIMEOUT_MS = "sink.shutdown.timeout.ms";
  public static final String CHECKPOINT_SOURCE = "sink.checkpoint.source";
  public static final String CHECKPOINT_INTERVAL_MS = "sink.checkpoint.interval.ms";

  /** {@code MAX_BATCH_OPS} of convex/cdc/ingest.ts. */
  public static final int CONVEX_MAX_BATCH_OPS = 1000;

  /** {@code MAX_BATCH_ARG_BYTES} of convex/cdc/ingest.ts (the JSON of {@code {ops:[...]}}). */
  public static final int CONVEX_MAX_BATCH_BYTES = 4 * 1024 * 1024;

  private static final ConfigDef DEFINITION =
      CommonConfig.definition()
          .define(
              CONVEX_URL,
              ConfigType.STRING,
              null,
              Validator.matches("https?://\\S+", "an http:// or https:// URL"),
              Importance.HIGH,
              "Convex deployment URL, e.g. https://happy-otter-123.convex.cloud.")
          .define(
              CONVEX_ADMIN_KEY,
              ConfigType.PASSWORD,
              null,
              Validator.nonEmpty(),
              Importance.HIGH,
              "Admin or deploy key allowed to run the internal cdc/ingest functions.")
          .define(
              REQUEST_TIMEOUT_MS,
              ConfigType.LONG,
              "30000",
              Validator.between(100, 600_000),
              Importance.MEDIUM,
              "Timeout of one Convex call (connect, send, wait, read); a timed-out batch is"
                  + " retried.")
          .define(
              CONNECT_TIMEOUT_MS,
              ConfigType.LONG,
              "10000",
              Validator.between(100, 600_000),
              Importance.LOW,
              "TCP connect timeout of Convex calls.")
          .define(
              BATCH_MAX_OPS,
              ConfigType.INT,
              "1000",
              Validator.between(1, CONVEX_MAX_BATCH_OPS),
              Importance.MEDIUM,
              "Most ops in one applyBatch call (Convex functions accept at most 1000).")
          .define(
              BATCH_MAX_BYTES,
              ConfigType.INT,
              Integer.toString(CONVEX_MAX_BATCH_BYTES),
              Validator.between(1024, CONVEX_MAX_BATCH_BYTES),
              Importance.LOW,
              "Most bytes of op JSON in one applyBatch call (Convex functions accept at most 4 MiB).")
          .define(
              BATCH_LINGER_MS,
              ConfigType.LONG,
              "5",
              Validator.between(0, 60_000),
              Importance.LOW,
              "How long a partition's first buffered op waits for more before its batch is sent.")
          .define(
              MAX_IN_FLIGHT,
              ConfigType.INT,
              "8",
              Validator.between(1, 256),
              Importance.MEDIUM,
              "Most batches applied concurrently (one per partition at a time); keep below the"
                  + " plan's concurrent mutations (16 on the smallest). Lowered adaptively on 429.")
          .define(
              BACKOFF_INITIAL_MS,
              ConfigType.LONG,
              "100",
              Validator.between(1, 600_000),
              Importance.LOW,
              "Cap of the first retry wait; doubles per attempt (full jitter).")
          .define(
              BACKOFF_MAX_MS,
              ConfigType.LONG,
              "10000",
              Validator.between(1, 3_600_000),
              Importance.LOW,
              "Cap of every retry wait.")
          .define(
              SHUTDOWN_TIMEOUT_MS,
              ConfigType.LONG,
              "10000",
              Validator.between(0, 600_000),
              Importance.LOW,
              "How long shutdown (or a rebalance) waits for in-flight batches before abandoning"
                  + " them (abandoned batches are not committed and are re-applied later).")
          .define(
              CHECKPOINT_SOURCE,
              ConfigType.STRING,
              "",
              Importance.LOW,
              "Name of the checkpoint the sink advances in Convex (cdc/ingest:setCheckpoint);"
                  + " empty means the topic prefix.")
          .define(
              CHECKPOINT_INTERVAL_MS,
              ConfigType.LONG,
              "1000",
              Validator.between(100, 3_600_000),
              Importance.LOW,
              "Least time between two checkpoint updates.");

  private SinkConfig() {}

  /** The sink's definition; immutable, shared. */
  public static ConfigDef definition() {
    return DEFINITION;
  }

  /**
   * Parses and validates every key at once (also the cross-key rule initial backoff &lt;= max
   * backoff).
   *
   * @throws dev.pgconvex.common.config.ConfigException listing every problem
   */
  public static Config parse(Map<String, String> props) {
    Config config = DEFINITION.parse(props);
    if (config.getLong(BACKOFF_INITIAL_MS) > config.getLong(BACKOFF_MAX_MS)) {
      throw new dev.pgconvex.common.config.ConfigException(
          BACKOFF_INITIAL_MS + " must not exceed " + BACKOFF_MAX_MS);
    }
    return config;
  }

  /** The checkpoint source name: {@link #CHECKPOINT_SOURCE}, else the topic prefix. */
  public static String checkpointSource(Config config) {
    String s = config.getString(CHECKPOINT_SOURCE);
    return s == null || s.isBlank() ? config.getString(CommonConfig.TOPIC_PREFIX) : s;
  }
}
