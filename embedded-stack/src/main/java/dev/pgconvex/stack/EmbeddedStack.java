package dev.pgconvex.stack;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.service.Service;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Postgres and Kafka for local runs and tests: each part not configured to an external server in
 * {@link StackSettings} is started here, on free ports, with its files under {@link
 * StackSettings#workDir()}. With {@link StackSettings#useTestcontainers()} and a Docker engine,
 * Postgres and Kafka run in containers instead.
 *
 * <pre>{@code
 * try (EmbeddedStack stack = new EmbeddedStack(StackSettings.defaults())) {
 *   stack.start();
 *   connect(stack.jdbcUrl(), stack.pgUser(), stack.pgPassword().reveal());
 *   produceTo(stack.bootstrapServers());
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops what {@link #start()} started, in reverse order.
 */
public final class EmbeddedStack implements Service {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedStack.class);

  private final StackSettings settings;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  // volatile: health() reads these without the lock.
  private volatile EmbeddedPostgresServer postgres;
  private volatile EmbeddedKafkaBroker kafka;
  private String jdbcUrl;
  private String pgUser;
  private Secret pgPassword;
  private String bootstrapServers;
  private volatile boolean running;
  private volatile boolean closed;

  /** A stack for {@code settings}; nothing runs before {@link #start()}. */
  public EmbeddedStack(StackSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public String name() {
    return "stack";
  }

  /**
   * Starts every embedded part and returns once all accept connections. When one fails, the parts
   * already started are stopped before the exception propagates.
   *
   * @throws StackException when a part does not start
   * @throws IllegalStateException when already started or closed
   */
  @Override
  public synchronized void start() {
    if (running || closed) {
      throw new IllegalStateException("Stack already started or closed");
    }
    log.info("Starting {}", settings);
    long t0 = System.nanoTime();
    try {
      boolean docker = settings.useTestcontainers() && TestcontainersSupport.dockerAvailable();
      if (settings.useTestcontainers() && !docker) {
        log.info("No Docker engine: Postgres and Kafka run embedded");
      }
      startPostgres(docker);
      startKafka(docker);
    } catch (RuntimeException e) {
      stopAll();
      throw e;
    }
    running = true;
    log.info("Stack up in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  private void startPostgres(boolean docker) {
    if (settings.postgresJdbcUrl() != null) {
      jdbcUrl = settings.postgresJdbcUrl();
      pgUser = settings.postgresUser();
      pgPassword = settings.postgresPassword();
    } else if (docker) {
      var container = TestcontainersSupport.startPostgres(settings.startTimeout());
      started.push(container::stop);
      jdbcUrl = container.getJdbcUrl();
      pgUser = container.getUsername();
      pgPassword = new Secret(container.getPassword());
    } else {
      postgres =
          EmbeddedPostgresServer.builder(settings.workDir().resolve("postgres"))
              .startTimeout(settings.startTimeout())
              .keepData(settings.keepData())
              .shutdownHookDelay(settings.shutdownHookDelay())
              .build();
      started.push(postgres);
      postgres.start();
      jdbcUrl = postgres.jdbcUrl("postgres");
      pgUser = postgres.user();
      pgPassword = postgres.password();
    }
  }

  private void startKafka(boolean docker) {
    if (settings.kafkaBootstrapServers() != null) {
      bootstrapServers = settings.kafkaBootstrapServers();
    } else if (docker) {
      var container = TestcontainersSupport.startKafka(settings.startTimeout());
      started.push(container::stop);
      bootstrapServers = container.getBootstrapServers();
    } else {
      kafka =
          EmbeddedKafkaBroker.builder(settings.workDir().resolve("kafka"))
              .startTimeout(settings.startTimeout())
              .keepData(settings.keepData())
              .shutdownHookDelay(settings.shutdownHookDelay())
              .build();
      started.push(kafka);
      kafka.start();
      bootstrapServers = kafka.bootstrapServers();
    }
  }

  /** The settings this stack was made with. */
  public StackSettings settings() {
    return settings;
  }

  // The accessors below throw IllegalStateException before start() and after close().

  /** JDBC URL of the {@code postgres} database (embedded) or the configured one, no credentials. */
  public synchronized String jdbcUrl() {
    return requireStarted(jdbcUrl);
  }

  public synchronized String pgUser() {
    return requireStarted(pgUser);
  }

  public synchronized Secret pgPassword() {
    return requireStarted(pgPassword);
  }

  public synchronized String bootstrapServers() {
    return requireStarted(bootstrapServers);
  }

  /** The embedded Postgres, or null when external or in a container. */
  public synchronized EmbeddedPostgresServer postgres() {
    return postgres;
  }

  /** The embedded broker, or null when external or in a container. */
  public synchronized EmbeddedKafkaBroker kafka() {
    return kafka;
  }

  /** Up when started and every embedded part still runs. Never blocks on the servers. */
  @Override
  public Health health() {
    // Reads plain fields without the lock: start() may hold it for seconds.
    if (!running) {
      return Health.down(closed ? "closed" : "not started");
    }
    EmbeddedPostgresServer pg = postgres;
    EmbeddedKafkaBroker k = kafka;
    if (pg != null && !pg.isRunning()) {
      return Health.down("embedded Postgres stopped");
    }
    if (k != null && !k.isRunning()) {
      return Health.down("embedded Kafka stopped");
    }
    String fatal = KafkaExitGuard.refused();
    if (k != null && fatal != null) {
      return Health.down("embedded Kafka hit a fatal error: " + fatal);
    }
    return Health.up("running");
  }

  /** Stops what {@link #start()} started, in reverse order. Idempotent; never throws. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    stopAll();
  }

  private void stopAll() {
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        log.warn("Stopping {} failed", part, e);
      }
    }
  }

  private <T> T requireStarted(T value) {
    if (closed || value == null) {
      throw new IllegalStateException(closed ? "Stack closed" : "Stack not started");
    }
    return value;
  }
}
