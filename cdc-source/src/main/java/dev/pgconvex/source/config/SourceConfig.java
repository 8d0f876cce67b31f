package dev.pgconvex.source.config;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Validator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The configuration keys of the CDC source. Every key is declared here once; {@link #parse} checks
 * each key and the keys against each other and reports every problem in one {@link
 * ConfigException}.
 *
 * <p>Keys starting with {@code debezium.} go to the Debezium engine with the prefix removed (they
 * override what the source sets); keys starting with {@code kafka.} go to the source's Kafka
 * producer, admin client and Debezium's offset store with the prefix removed.
 */
public final class SourceConfig {
  public static final String PG_JDBC_URL = "pg.jdbc.url";
  public static final String PG_USER = "pg.user";
  public static final String PG_PASSWORD = "pg.password";
  public static final String TABLES = "source.tables";
  public static final String SLOT_NAME = "source.slot.name";
  public static final String PUBLICATION_NAME = "source.publication.name";
  public static final String SNAPSHOT_MODE = "source.snapshot.mode";
  public static final String HEARTBEAT_INTERVAL_MS = "source.heartbeat.interval.ms";
  public static final String HEARTBEAT_TABLE = "source.heartbeat.table";
  public static final String POLL_INTERVAL_MS = "source.poll.interval.ms";
  public static final String MAX_BATCH_SIZE = "source.max.batch.size";
  public static final String KEY_COLUMNS = "source.key.columns";
  public static final String OFFSETS_COMMIT_INTERVAL_MS = "source.offsets.commit.interval.ms";
  public static final String SLOT_LAG_POLL_INTERVAL_MS = "source.slot.lag.poll.interval.ms";
  public static final String KAFKA_DELIVERY_TIMEOUT_MS = "source.kafka.delivery.timeout.ms";
  public static final String SIGNAL_TABLE = "source.signal.table";
  public static final String INCREMENTAL_SNAPSHOT_CHUNK_SIZE =
      "source.incremental.snapshot.chunk.size";

  /** Default of {@link #SIGNAL_TABLE}; {@code ./cdc resync} writes there unless told otherwise. */
  public static final String DEFAULT_SIGNAL_TABLE = "public.pgconvex_signal";

  /** Snapshot modes the source supports (Debezium's names). */
  public static final List<String> SNAPSHOT_MODES =
      List.of("initial", "initial_only", "no_data", "when_needed", "always", "incremental");

  private SourceConfig() {}

  /** A fresh definition: the source's keys plus {@link CommonConfig#definition()}. */
  public static ConfigDef definition() {
    return new ConfigDef()
        .include(CommonConfig.definition())
        .define(
            PG_JDBC_URL,
            ConfigType.STRING,
            null,
            parsedBy(PgJdbcUrl::parse, "jdbc:postgresql://host[:port]/database"),
            Importance.HIGH,
            "JDBC URL of the Postgres database to capture, one host:"
                + " jdbc:postgresql://localhost:5432/app.")
        .define(
            PG_USER,
            ConfigType.STRING,
            null,
            Validator.nonEmpty(),
            Importance.HIGH,
            "Postgres user; needs the REPLICATION attribute (or superuser) and SELECT on the"
                + " captured tables.")
        .define(
            PG_PASSWORD,
            ConfigType.PASSWORD,
            "",
            Importance.HIGH,
            "Password of pg.user (empty for trust or peer authentication).")
        .define(
            TABLES,
            ConfigType.LIST,
            null,
            tablesValidator(),
            Importance.HIGH,
            "Tables to capture, comma-separated schema.table names: public.users,public.orders.")
        .define(
            SLOT_NAME,
            ConfigType.STRING,
            "pgconvex",
            Validator.matches("[a-z0-9_]{1,63}", "lower-case letters, digits or '_' (1 to 63)"),
            Importance.MEDIUM,
            "Logical replication slot; kept across restarts (it holds the source's place in the"
                + " WAL).")
        .define(
            PUBLICATION_NAME,
            ConfigType.STRING,
            "pgconvex_pub",
            Validator.matches("[a-z0-9_]{1,63}", "lower-case letters, digits or '_' (1 to 63)"),
            Importance.MEDIUM,
            "Publication restricted to the captured tables (and the heartbeat table); created or"
                + " updated at start.")
        .define(
            SNAPSHOT_MODE,
            ConfigType.STRING,
            "initial",
            Validator.oneOf(SNAPSHOT_MODES.toArray(String[]::new)),
            Importance.MEDIUM,
            "How the tables are copied before streaming. initial (Debezium's): one consistent"
                + " blocking snapshot, then streaming; if it is interrupted it starts over."
                + " incremental: streaming starts at once and each table (also one added later to"
                + " source.tables) is copied by an incremental snapshot in key-ordered chunks of"
                + " source.incremental.snapshot.chunk.size rows, which resumes at the next chunk"
                + " after a restart (read events carry source.snapshot=incremental). Other values"
                + " are Debezium's snapshot.mode.")
        .define(
            HEARTBEAT_INTERVAL_MS,
            ConfigType.LONG,
            "1000",
            Validator.between(100, 3_600_000),
            Importance.LOW,
            "How often the source writes the heartbeat table so the slot advances while captured"
                + " tables are idle; each heartbeat travels to the sink, so with the database idle"
                + " pgconvex_sink_end_to_end_lag_ms stays below this plus one batch.")
        .define(
            HEARTBEAT_TABLE,
            ConfigType.STRING,
            "public.pgconvex_heartbeat",
            parsedBy(TableId::parse, "schema.table"),
            Importance.LOW,
            "Heartbeat table (id int primary key, ts timestamptz), created when missing; its"
                + " changes are captured and written to <prefix>.heartbeats (commit time and LSN)"
                + " instead of a table topic, so end-to-end lag is measured while tables are idle.")
        .define(
            POLL_INTERVAL_MS,
            ConfigType.LONG,
            "10",
            Validator.between(1, 60_000),
            Importance.LOW,
            "Debezium poll.interval.ms: the longest a change waits in Debezium's queue.")
        .define(
            MAX_BATCH_SIZE,
            ConfigType.INT,
            "4096",
            Validator.between(1, 1_000_000),
            Importance.LOW,
            "Most changes handed to Kafka per batch (Debezium max.batch.size).")
        .define(
            KEY_COLUMNS,
            ConfigType.STRING,
            "",
            parsedBy(KeyColumns::parse, "schema.table:col1+col2;..."),
            Importance.MEDIUM,
            "Key columns of tables without a primary key: schema.table:col1+col2;schema.t2:id."
                + " The columns must be NOT NULL and the table REPLICA IDENTITY FULL (checked at"
                + " start); events are keyed by them (Debezium message.key.columns), and the"
                + " mapping must key the table's documents by the same columns. ./cdc run sets"
                + " it from its mapping (a mapping file's key: [...], or this key given with"
                + " --set).")
        .define(
            OFFSETS_COMMIT_INTERVAL_MS,
            ConfigType.LONG,
            "1000",
            Validator.between(10, 600_000),
            Importance.LOW,
            "How often acknowledged positions are stored in the offsets topic and confirmed to the"
                + " slot (Debezium offset.flush.interval.ms).")
        .define(
            SLOT_LAG_POLL_INTERVAL_MS,
            ConfigType.LONG,
            "5000",
            Validator.between(100, 3_600_000),
            Importance.LOW,
            "How often the slot's lag (pgconvex_source_slot_lag_bytes) is read.")
        .define(
            KAFKA_DELIVERY_TIMEOUT_MS,
            ConfigType.LONG,
            "300000",
            Validator.between(1_000, 86_400_000),
            Importance.LOW,
            "How long the producer keeps retrying while Kafka is unavailable before the source"
                + " fails (and restarts from its last stored position).")
        .define(
            SIGNAL_TABLE,
            ConfigType.STRING,
            DEFAULT_SIGNAL_TABLE,
            parsedBy(TableId::parse, "schema.table"),
            Importance.LOW,
            "Debezium signal table (id varchar(42) primary key, type varchar(32), data text),"
                + " created when missing and added to the publication; ./cdc resync inserts"
                + " execute-snapshot signals there. Its rows are never forwarded to Kafka.")
        .define(
            INCREMENTAL_SNAPSHOT_CHUNK_SIZE,
            ConfigType.INT,
            "2048",
            Validator.between(1, 1_000_000),
            Importance.LOW,
            "Rows read per chunk by an incremental snapshot (resync), in primary-key order,"
                + " while streaming goes on (Debezium incremental.snapshot.chunk.size).");
  }

  /** Parses {@code props} with the process environment as the source of secrets. */
  public static Config parse(Map<String, String> props) {
    return parse(props, System::getenv);
  }

  /**
   * Parses and validates {@code props}: each key, then the keys against each other.
   *
   * @throws ConfigException listing every problem found
   */
  public static Config parse(Map<String, String> props, Function<String, String> env) {
    List<String> problems = new ArrayList<>();
    Config config = null;
    try {
      config = definition().parse(props, env);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    problems.addAll(crossCheck(props));
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return config;
  }

  /**
   * Problems between keys, from the raw values (a value that does not parse is reported by its own
   * key and skipped here).
   */
  static List<String> crossCheck(Map<String, String> props) {
    List<String> problems = new ArrayList<>();
    List<TableId> tables = new ArrayList<>();
    String rawTables = props.get(TABLES);
    if (rawTables != null) {
      for (String t : rawTables.split(",")) {
        try {
          if (!t.isBlank()) {
            tables.add(TableId.parse(t));
          }
        } catch (IllegalArgumentException e) {
          return problems;
        }
      }
    }
    KeyColumns keys;
    try {
      keys = KeyColumns.parse(props.getOrDefault(KEY_COLUMNS, ""));
    } catch (IllegalArgumentException e) {
      return problems;
    }
    for (TableId t : keys.asMap().keySet()) {
      if (!tables.contains(t)) {
        problems.add(
            KEY_COLUMNS
                + ": table "
                + t
                + " is not captured; add it to "
                + TABLES
                + " or remove its key columns");
      }
    }
    String heartbeat = props.getOrDefault(HEARTBEAT_TABLE, "public.pgconvex_heartbeat");
    try {
      if (tables.contains(TableId.parse(heartbeat))) {
        problems.add(
            TABLES
                + ": "
                + heartbeat
                + " is the heartbeat table ("
                + HEARTBEAT_TABLE
                + "); capture another table or name another heartbeat table");
      }
    } catch (IllegalArgumentException e) {
      // reported by the key itself
    }
    String signal = props.getOrDefault(SIGNAL_TABLE, DEFAULT_SIGNAL_TABLE);
    try {
      TableId signalId = TableId.parse(signal);
      if (tables.contains(signalId)) {
        problems.add(
            TABLES
                + ": "
                + signal
                + " is the signal table ("
                + SIGNAL_TABLE
                + "); capture another table or name another signal table");
      }
      if (signalId.equals(TableId.parse(heartbeat))) {
        problems.add(
            SIGNAL_TABLE + ": " + signal + " is also the heartbeat table; name another table");
      }
    } catch (IllegalArgumentException e) {
      // reported by the key itself
    }
    return problems;
  }

  private static Validator tablesValidator() {
    return value -> {
      @SuppressWarnings("unchecked")
      List<String> list = (List<String>) value;
      if (list.isEmpty()) {
        return "must name at least one table (schema.table)";
      }
      List<String> bad = new ArrayList<>();
      List<TableId> seen = new ArrayList<>();
      for (String t : list) {
        try {
          TableId id = TableId.parse(t);
          if (seen.contains(id)) {
            bad.add(t + " is given twice");
          }
          seen.add(id);
        } catch (IllegalArgumentException e) {
          bad.add(e.getMessage());
        }
      }
      return bad.isEmpty() ? null : "is invalid: " + String.join("; ", bad);
    };
  }

  private static Validator parsedBy(Function<String, ?> parser, String form) {
    return new Validator() {
      @Override
      public String check(Object value) {
        try {
          parser.apply((String) value);
          return null;
        } catch (IllegalArgumentException e) {
          return "is invalid: " + e.getMessage();
        }
      }

      @Override
      public String describe() {
        return form;
      }
    };
  }
}
