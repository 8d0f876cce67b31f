package dev.pgconvex.stack;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.config.Validator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What an {@link EmbeddedStack} starts: each of Postgres, Kafka and Convex is embedded unless an
 * external server is configured. Immutable; thread-safe. Build with {@link #builder()} or parse the
 * {@code stack.*} keys of {@link #DEFINITION} with {@link #parse(Map)}.
 */
public final class StackSettings {
  public static final String WORK_DIR = "stack.work.dir";
  public static final String POSTGRES_JDBC_URL = "stack.postgres.jdbc.url";
  public static final String POSTGRES_USER = "stack.postgres.user";
  public static final String POSTGRES_PASSWORD = "stack.postgres.password";
  public static final String KAFKA_BOOTSTRAP_SERVERS = "stack.kafka.bootstrap.servers";
  public static final String CONVEX_ENABLED = "stack.convex.enabled";
  public static final String CONVEX_URL = "stack.convex.url";
  public static final String CONVEX_ADMIN_KEY = "stack.convex.admin.key";
  public static final String CONVEX_FUNCTIONS_DIR = "stack.convex.functions.dir";
  public static final String CONVEX_DATA_DIR = "stack.convex.data.dir";
  public static final String USE_TESTCONTAINERS = "stack.use.testcontainers";
  public static final String START_TIMEOUT_MS = "stack.start.timeout.ms";

  /** The keys {@link #parse} reads. */
  public static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(
              WORK_DIR,
              ConfigType.STRING,
              "target/stack",
              Validator.nonEmpty(),
              Importance.MEDIUM,
              "Folder for the embedded servers' data; deleted when the stack closes.")
          .define(
              POSTGRES_JDBC_URL,
              ConfigType.STRING,
              "",
              Validator.matches("|jdbc:postgresql://.+", "empty or a jdbc:postgresql:// URL"),
              Importance.HIGH,
              "JDBC URL of an external Postgres (wal_level=logical); empty starts an embedded one.")
          .define(
              POSTGRES_USER,
              ConfigType.STRING,
              "postgres",
              Validator.nonEmpty(),
              Importance.MEDIUM,
              "User for the external Postgres; the embedded one always uses postgres.")
          .define(
              POSTGRES_PASSWORD,
              ConfigType.PASSWORD,
              "",
              Importance.MEDIUM,
              "Password for the external Postgres; the embedded one gets a random password.")
          .define(
              KAFKA_BOOTSTRAP_SERVERS,
              ConfigType.STRING,
              "",
              Importance.HIGH,
              "Bootstrap servers of an external Kafka; empty starts an embedded broker.")
          .define(
              CONVEX_ENABLED,
              ConfigType.BOOLEAN,
              "true",
              Importance.MEDIUM,
              "Whether the stack provides Convex at all (external or emulator).")
          .define(
              CONVEX_URL,
              ConfigType.STRING,
              "",
              Validator.matches("|https?://.+", "empty or an http(s):// URL"),
              Importance.HIGH,
              "URL of an external Convex deployment; empty starts the emulator.")
          .define(
              CONVEX_ADMIN_KEY,
              ConfigType.PASSWORD,
              "",
              Importance.HIGH,
              "Admin key of the external Convex deployment (required with "
                  + CONVEX_URL
                  + "); the emulator gets a random one.")
          .define(
              CONVEX_FUNCTIONS_DIR,
              ConfigType.STRING,
              "",
              Importance.LOW,
              "Functions folder the emulator serves; empty means <repository>/convex.")
          .define(
              CONVEX_DATA_DIR,
              ConfigType.STRING,
              "",
              Importance.LOW,
              "Folder where the emulator persists its data; empty keeps it in memory.")
          .define(
              USE_TESTCONTAINERS,
              ConfigType.BOOLEAN,
              "false",
              Importance.LOW,
              "Run Postgres and Kafka in Docker with Testcontainers when a Docker engine is"
                  + " available; embedded otherwise.")
          .define(
              START_TIMEOUT_MS,
              ConfigType.LONG,
              "120000",
              Validator.atLeast(1000),
              Importance.LOW,
              "How long each server may take to start.");

  private final Path workDir;
  private final String postgresJdbcUrl;
  private final String postgresUser;
  private final Secret postgresPassword;
  private final String kafkaBootstrapServers;
  private final boolean convexEnabled;
  private final String convexUrl;
  private final Secret convexAdminKey;
  private final Path convexFunctionsDir;
  private final Path convexDataDir;
  private final boolean useTestcontainers;
  private final Duration startTimeout;
  private final boolean keepData;
  private final Duration shutdownHookDelay;

  private StackSettings(Builder b) {
    this.workDir = b.workDir;
    this.postgresJdbcUrl = b.postgresJdbcUrl;
    this.postgresUser = b.postgresUser;
    this.postgresPassword = b.postgresPassword;
    this.kafkaBootstrapServers = b.kafkaBootstrapServers;
    this.convexEnabled = b.convexEnabled;
    this.convexUrl = b.convexUrl;
    this.convexAdminKey = b.convexAdminKey;
    this.convexFunctionsDir = b.convexFunctionsDir;
    this.convexDataDir = b.convexDataDir;
    this.useTestcontainers = b.useTestcontainers;
    this.startTimeout = b.startTimeout;
    this.keepData = b.keepData;
    this.shutdownHookDelay = b.shutdownHookDelay;
  }

  /** Everything embedded, work directory {@code target/stack}. */
  public static StackSettings defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the {@code stack.*} keys; secrets may also come from the environment ({@code
   * STACK_POSTGRES_PASSWORD}, {@code STACK_CONVEX_ADMIN_KEY}).
   *
   * @throws ConfigException listing every problem
   */
  public static StackSettings parse(Map<String, String> props) {
    return from(DEFINITION.parse(props));
  }

  /**
   * Like {@link #parse(Map)}, with {@code env} as the source of secrets instead of the process
   * environment.
   */
  public static StackSettings parse(Map<String, String> props, Function<String, String> env) {
    return from(DEFINITION.parse(props, env));
  }

  /**
   * Settings from already parsed values of {@link #DEFINITION}.
   *
   * @throws ConfigException listing every problem
   */
  public static StackSettings from(Config c) {
    List<String> problems = new ArrayList<>();
    String convexUrl = c.getString(CONVEX_URL);
    Secret adminKey = c.getSecret(CONVEX_ADMIN_KEY);
    if (!convexUrl.isEmpty() && adminKey.isEmpty()) {
      problems.add(
          CONVEX_ADMIN_KEY
              + ": required when "
              + CONVEX_URL
              + " is set; give the deployment's key");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    Builder b =
        builder()
            .workDir(Path.of(c.getString(WORK_DIR)))
            .convexEnabled(c.getBoolean(CONVEX_ENABLED))
            .useTestcontainers(c.getBoolean(USE_TESTCONTAINERS))
            .startTimeout(Duration.ofMillis(c.getLong(START_TIMEOUT_MS)));
    if (!c.getString(POSTGRES_JDBC_URL).isEmpty()) {
      b.externalPostgres(
          c.getString(POSTGRES_JDBC_URL),
          c.getString(POSTGRES_USER),
          c.getSecret(POSTGRES_PASSWORD));
    }
    if (!c.getString(KAFKA_BOOTSTRAP_SERVERS).isBlank()) {
      b.externalKafka(c.getString(KAFKA_BOOTSTRAP_SERVERS));
    }
    if (!convexUrl.isEmpty()) {
      b.externalConvex(convexUrl, adminKey);
    }
    if (!c.getString(CONVEX_FUNCTIONS_DIR).isBlank()) {
      b.convexFunctionsDir(Path.of(c.getString(CONVEX_FUNCTIONS_DIR)));
    }
    if (!c.getString(CONVEX_DATA_DIR).isBlank()) {
      b.convexDataDir(Path.of(c.getString(CONVEX_DATA_DIR)));
    }
    return b.build();
  }

  /** Folder for the embedded servers' files. */
  public Path workDir() {
    return workDir;
  }

  /** External Postgres URL, or null to embed one. */
  public String postgresJdbcUrl() {
    return postgresJdbcUrl;
  }

  /** External Postgres user (meaningful only with {@link #postgresJdbcUrl()}). */
  public String postgresUser() {
    return postgresUser;
  }

  /** External Postgres password (meaningful only with {@link #postgresJdbcUrl()}). */
  public Secret postgresPassword() {
    return postgresPassword;
  }

  /** External Kafka, or null to embed a broker. */
  public String kafkaBootstrapServers() {
    return kafkaBootstrapServers;
  }

  /** False when the stack provides no Convex. */
  public boolean convexEnabled() {
    return convexEnabled;
  }

  /** External Convex URL, or null to start the emulator. */
  public String convexUrl() {
    return convexUrl;
  }

  /** External Convex admin key, or null. */
  public Secret convexAdminKey() {
    return convexAdminKey;
  }

  /** Functions folder for the emulator, or null for {@code <repository>/convex}. */
  public Path convexFunctionsDir() {
    return convexFunctionsDir;
  }

  /** Emulator data folder, or null for in memory. */
  /**
   * Whether the embedded Postgres and Kafka keep their data in the work directory when closed, so
   * the next stack on it resumes (a local {@code ./cdc run}); default false.
   */
  public boolean keepData() {
    return keepData;
  }

  /**
   * How long the servers' JVM shutdown hooks wait for the owner to close the stack in order (a CLI
   * that stops its pipeline on Ctrl-C) before stopping the servers themselves; default 0.
   */
  public Duration shutdownHookDelay() {
    return shutdownHookDelay;
  }

  public Path convexDataDir() {
    return convexDataDir;
  }

  /** Whether Postgres and Kafka may come from Testcontainers when Docker is available. */
  public boolean useTestcontainers() {
    return useTestcontainers;
  }

  /** How long each server may take to start. */
  public Duration startTimeout() {
    return startTimeout;
  }

  /** Secrets are shown as {@code [hidden]}. */
  @Override
  public String toString() {
    return "StackSettings{workDir="
        + workDir
        + ", postgres="
        + (postgresJdbcUrl == null ? "embedded" : postgresJdbcUrl + " as " + postgresUser)
        + ", kafka="
        + (kafkaBootstrapServers == null ? "embedded" : kafkaBootstrapServers)
        + ", convex="
        + (!convexEnabled ? "none" : convexUrl == null ? "emulator" : convexUrl)
        + ", testcontainers="
        + useTestcontainers
        + "}";
  }

  /** Builds {@link StackSettings}. Not thread-safe. */
  public static final class Builder {
    private Path workDir = Path.of("target", "stack");
    private String postgresJdbcUrl;
    private String postgresUser = EmbeddedPostgresServer.SUPERUSER;
    private Secret postgresPassword = new Secret("");
    private String kafkaBootstrapServers;
    private boolean convexEnabled = true;
    private String convexUrl;
    private Secret convexAdminKey;
    private Path convexFunctionsDir;
    private Path convexDataDir;
    private boolean useTestcontainers;
    private Duration startTimeout = Duration.ofMinutes(2);
    private boolean keepData;
    private Duration shutdownHookDelay = Duration.ZERO;

    private Builder() {}

    public Builder workDir(Path dir) {
      this.workDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** Use this Postgres instead of an embedded one. */
    public Builder externalPostgres(String jdbcUrl, String user, Secret password) {
      this.postgresJdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      this.postgresUser = Objects.requireNonNull(user, "user");
      this.postgresPassword = Objects.requireNonNull(password, "password");
      return this;
    }

    /** Use this Kafka instead of an embedded broker. */
    public Builder externalKafka(String bootstrapServers) {
      this.kafkaBootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
      return this;
    }

    /** Use this Convex deployment instead of the emulator. */
    public Builder externalConvex(String url, Secret adminKey) {
      this.convexUrl = Objects.requireNonNull(url, "url");
      this.convexAdminKey = Objects.requireNonNull(adminKey, "adminKey");
      return this;
    }

    /** Whether to provide Convex at all; default true. */
    public Builder convexEnabled(boolean enabled) {
      this.convexEnabled = enabled;
      return this;
    }

    public Builder convexFunctionsDir(Path dir) {
      this.convexFunctionsDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    public Builder convexDataDir(Path dir) {
      this.convexDataDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    public Builder useTestcontainers(boolean use) {
      this.useTestcontainers = use;
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** See {@link StackSettings#keepData()}. */
    public Builder keepData(boolean keep) {
      this.keepData = keep;
      return this;
    }

    /** See {@link StackSettings#shutdownHookDelay()}. */
    public Builder shutdownHookDelay(Duration delay) {
      this.shutdownHookDelay = Objects.requireNonNull(delay, "delay");
      return this;
    }

    public StackSettings build() {
      return new StackSettings(this);
    }
  }
}
