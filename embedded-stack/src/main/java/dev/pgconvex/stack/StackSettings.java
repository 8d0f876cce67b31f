package dev.pgconvex.stack;

import dev.pgconvex.common.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What an {@link EmbeddedStack} starts: each of Postgres and Kafka is embedded unless an external
 * server is configured (the Convex emulator is started by its user, {@link ConvexEmulatorProcess},
 * on the functions folder it generates). Immutable; thread-safe. Build with {@link #builder()}.
 */
public final class StackSettings {
  private final Path workDir;
  private final String postgresJdbcUrl;
  private final String postgresUser;
  private final Secret postgresPassword;
  private final String kafkaBootstrapServers;
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
    this.useTestcontainers = b.useTestcontainers;
    this.startTimeout = b.startTimeout;
    this.keepData = b.keepData;
    this.shutdownHookDelay = b.shutdownHookDelay;
  }

  /** Postgres and Kafka embedded, work directory {@code target/stack}. */
  public static StackSettings defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
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
