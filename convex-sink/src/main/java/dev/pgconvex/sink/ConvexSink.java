package dev.pgconvex.sink;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.common.kafka.LineageTopic;
import dev.pgconvex.common.kafka.TopicBootstrap;
import dev.pgconvex.common.service.Service;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.sink.batch.AimdLimiter;
import dev.pgconvex.sink.batch.Backoff;
import dev.pgconvex.sink.batch.BatchApplier;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.internals.Checkpointer;
import dev.pgconvex.sink.internals.SinkLoop;
import dev.pgconvex.sink.internals.SinkMetrics;
import dev.pgconvex.sink.lineage.SinkLineage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink stage: consumes {@code <prefix>.ops} (group {@code <prefix>-sink}) and applies the
 * operations to Convex through {@code cdc/ingest:applyBatch}, publishes the resulting document ids
 * to {@code <prefix>.ids}, dead-letters what Convex rejects to {@code <prefix>.dlq}, commits
 * offsets only after all of that succeeded, and advances the checkpoint {@code
 * cdc/ingest:setCheckpoint}. Heartbeat ops are never sent to Convex; they make {@link
 * #endToEndLagMs()} measurable while the database is idle.
 *
 * <pre>{@code
 * Config config = SinkConfig.parse(props);
 * try (ConvexSink sink = new ConvexSink(config, registry)) {
 *   sink.start();      // returns once the consumer thread runs
 *   ...
 * }                    // close(): finishes or abandons in-flight batches, commits, releases
 * }</pre>
 *
 * <p>Delivery is at least once; Convex applies ops idempotently by position, so replays change
 * nothing. A 401/403 or a missing function stops the sink and turns {@link #health()} DOWN with the
 * reason. Thread-safe: {@link #start()} once, {@link #close()} from any thread, idempotent; getters
 * never block.
 */
public final class ConvexSink implements Service {
  private static final Logger log = LoggerFactory.getLogger(ConvexSink.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** Health turns DOWN when every Convex call failed (transiently) for this long. */
  static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(60);

  private final Config config;
  private final MeterRegistry registry;
  private final Topics topics;
  private final AimdLimiter limiter;
  private volatile SinkLoop loop;
  private volatile long failureSeenAt;
  private volatile SinkMetrics metrics;
  private ConvexClient client;
  private ExecutorService workers;
  private Checkpointer checkpointer;
  private volatile Thread thread;
  private final java.util.List<AppliedListener> appliedListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile BatchApplier applier;
  private volatile boolean started;
  private volatile boolean closed;

  /**
   * @param config parsed with {@link SinkConfig#definition()} (or {@link SinkConfig#parse})
   * @param registry where the sink's meters go; not closed by the sink
   * @throws ConfigException when a cross-key rule is broken
   */
  public ConvexSink(Config config, MeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
    if (config.getLong(SinkConfig.BACKOFF_INITIAL_MS) > config.getLong(SinkConfig.BACKOFF_MAX_MS)) {
      throw new ConfigException(
          SinkConfig.BACKOFF_INITIAL_MS + " must not exceed " + SinkConfig.BACKOFF_MAX_MS);
    }
    this.topics = Topics.from(config);
    this.limiter = new AimdLimiter(config.getInt(SinkConfig.MAX_IN_FLIGHT));
  }

  @Override
  public String name() {
    return "sink";
  }

  /**
   * Creates the pipeline topics if needed, connects, and starts the consumer thread.
   *
   * @throws IllegalStateException when already started or closed, or Kafka is unreachable
   */
  @Override
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException("ConvexSink can be started once");
    }
    started = true;
    TopicBootstrap.ensure(config);
    int maxInFlight = config.getInt(SinkConfig.MAX_IN_FLIGHT);
    client =
        new ConvexClient(
            config.getString(SinkConfig.CONVEX_URL),
            config.getSecret(SinkConfig.CONVEX_ADMIN_KEY),
            Duration.ofMillis(config.getLong(SinkConfig.REQUEST_TIMEOUT_MS)),
            Duration.ofMillis(config.getLong(SinkConfig.CONNECT_TIMEOUT_MS)),
            maxInFlight + 1);
    try {
      SinkLineage.claim(
          client, lineageTopic(), topics.prefix(), config.getString(SinkConfig.CONVEX_URL));
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
    int id = INSTANCES.incrementAndGet();
    workers =
        Executors.newFixedThreadPool(
            maxInFlight,
            r -> {
              Thread t = new Thread(r, "pgconvex-sink-worker-" + id);
              t.setDaemon(true);
              return t;
            });
    checkpointer =
        new Checkpointer(
            client,
            SinkConfig.checkpointSource(config),
            config.getLong(SinkConfig.CHECKPOINT_INTERVAL_MS));
    metrics =
        new SinkMetrics(
            registry,
            () -> lagMs(),
            limiter::limit,
            () -> {
              java.util.OptionalLong lag = endToEndLagMs();
              return lag.isPresent() ? lag.getAsLong() : Double.NaN;
            });
    applier =
        new BatchApplier(
            client,
            limiter,
            new Backoff(
                config.getLong(SinkConfig.BACKOFF_INITIAL_MS),
                config.getLong(SinkConfig.BACKOFF_MAX_MS)),
            metrics);
    BatchApplier a = applier;
    io.micrometer.core.instrument.Gauge.builder(
            "pgconvex.sink.failing.ms", () -> a.failingFor().toMillis())
        .description(
            "How long every Convex call has been failing (and being retried) without a success"
                + " in between; 0 while calls succeed")
        .register(registry);
    KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(consumerProps(), new StringDeserializer(), new StringDeserializer());
    KafkaProducer<String, String> producer;
    try {
      producer =
          new KafkaProducer<>(producerProps(), new StringSerializer(), new StringSerializer());
    } catch (RuntimeException e) {
      closeQuietly(consumer);
      throw e;
    }
    SinkLoop l =
        new SinkLoop(
            new SinkLoop.Settings(
                topics.ops(),
                topics.ids(),
                topics.deadLetters(),
                config.getInt(SinkConfig.BATCH_MAX_OPS),
                config.getInt(SinkConfig.BATCH_MAX_BYTES),
                Duration.ofMillis(config.getLong(SinkConfig.BATCH_LINGER_MS)),
                Duration.ofMillis(config.getLong(SinkConfig.SHUTDOWN_TIMEOUT_MS)),
                Duration.ofMillis(config.getLong(SinkConfig.CHECKPOINT_INTERVAL_MS))),
            consumer,
            producer,
            applier,
            limiter,
            workers,
            metrics,
            checkpointer,
            this::notifyApplied,
            checkpointer.storedCommitTs());
    Thread t =
        new Thread(
            () -> {
              try {
                l.run();
              } finally {
                // Consumer and producer belong to this thread.
                closeQuietly(consumer);
                closeQuietly(producer);
              }
            },
            "pgconvex-sink-" + id);
    thread = t;
    t.start();
    loop = l;
    log.info(
        "Sink started: {} -> {} (group {}, {} batches in flight at most)",
        topics.ops(),
        config.getString(SinkConfig.CONVEX_URL),
        topics.sinkGroup(),
        maxInFlight);
  }

  private LineageTopic lineageTopic() {
    return new LineageTopic(topics.lineage(), KafkaClients.props(config));
  }

  private Map<String, Object> consumerProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.getInt(SinkConfig.BATCH_MAX_OPS));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Every kafka.* key, also those of no client's ConfigDef (config.providers.<name>.class, for
    // secrets read through Kafka's ConfigProviders): the one factory's properties.
    p.putAll(KafkaClients.props(config));
    p.put(ConsumerConfig.GROUP_ID_CONFIG, topics.sinkGroup());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, topics.sinkGroup() + "-consumer");
    String instance = config.getString(CommonConfig.INSTANCE_ID);
    if (!instance.isEmpty()) {
      // Static membership: a restart after a crash takes its partitions back at once.
      p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance + "-sink");
    }
    return p;
  }

  private Map<String, Object> producerProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.putAll(KafkaClients.props(config));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, topics.sinkGroup() + "-producer");
    return p;
  }

  /**
   * Registers a listener told about every applied op (see {@link AppliedListener}); may be called
   * before or after {@link #start()}, from any thread.
   */
  public void addAppliedListener(AppliedListener listener) {
    appliedListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  private void notifyApplied(long commitTs) {
    if (appliedListeners.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    for (AppliedListener l : appliedListeners) {
      try {
        l.applied(commitTs, now);
      } catch (RuntimeException e) {
        log.warn("AppliedListener failed: {}", e.toString());
      }
    }
  }

  // kafka.* keys go to the client that knows them (a consumer key would only warn in the producer).
  // pgconvex.sink.lag.ms: the sink's own backlog only (0 while nothing is pending, even when a
  // stage before it stands still); endToEndLagMs() is the end-to-end figure.
  private double lagMs() {
    SinkLoop l = loop;
    if (l == null || !l.pending()) {
      return 0;
    }
    long ts = l.lastAppliedCommitTs();
    return ts == 0 ? 0 : Math.max(0, System.currentTimeMillis() - ts);
  }

  /** The sink's typed status ({@code GET /status}); never blocks. */
  @Override
  public Optional<StageStatus> status() {
    SinkLoop l = loop;
    Service.Health h = health();
    Throwable f = l == null ? null : l.failure();
    StageState state =
        closed
            ? StageState.STOPPED
            : f != null
                ? StageState.FAILED
                : l == null || !h.up() ? StageState.STARTING : StageState.RUNNING;
    LastError last = null;
    if (f != null) {
      if (failureSeenAt == 0) {
        failureSeenAt = System.currentTimeMillis(); // the loop keeps no time: when first seen
      }
      last = new LastError(String.valueOf(f.getMessage()), failureSeenAt);
    } else if (applier != null && !applier.failingFor().isZero()) {
      // failing now (and retrying): since when
      last =
          new LastError(
              String.valueOf(applier.lastFailure()),
              System.currentTimeMillis() - applier.failingFor().toMillis());
    }
    java.util.OptionalLong lag = endToEndLagMs();
    return Optional.of(
        new SinkStatus(
            state,
            h.detail(),
            last,
            l == null ? 0 : l.assignedPartitions(),
            l == null ? 0 : l.lastAppliedCommitTs(),
            lag.isPresent() ? lag.getAsLong() : null,
            checkpointer == null ? null : checkpointer.lastCheckpoint(),
            (int) limiter.limit(),
            metrics == null ? 0 : metrics.rateLimitedTotal(),
            metrics == null ? 0 : metrics.retriesTotal(),
            metrics == null ? 0 : (long) metrics.deadLetterTotal(),
            applier == null ? 0 : applier.failingFor().toMillis()));
  }

  /**
   * UP while the consumer thread runs; DOWN with the reason once it stopped on an error, or while
   * every Convex call has been failing (and being retried) for more than a minute.
   */
  @Override
  public Service.Health health() {
    SinkLoop l = loop;
    if (l == null) {
      return Service.Health.down(closed ? "closed" : "not started");
    }
    Throwable f = l.failure();
    if (f != null) {
      return Service.Health.down(f.getMessage());
    }
    if (closed) {
      return Service.Health.down("closed");
    }
    Thread t = thread;
    if (t == null || !t.isAlive()) {
      return Service.Health.down("sink thread stopped");
    }
    Duration failing = applier.failingFor();
    if (failing.compareTo(UNREACHABLE_AFTER) > 0) {
      return Service.Health.down(
          "Convex calls failing for "
              + failing.toSeconds()
              + " s (still retrying): "
              + applier.lastFailure());
    }
    return Service.Health.up(
        l.assignedPartitions()
            + " partitions, "
            + (long) metrics.appliedTotal()
            + " ops applied, send limit "
            + String.format(java.util.Locale.ROOT, "%.1f", limiter.limit()));
  }

  /**
   * End-to-end lag, the figure to alert on ({@code pgconvex_sink_end_to_end_lag_ms}): now minus the
   * source commit time of the newest change known applied in Convex, a row or a heartbeat
   * (docs/contracts.md, "Heartbeat"), on the slowest partition this sink is assigned. With the
   * database idle and every stage running it stays below {@code source.heartbeat.interval.ms} plus
   * one batch; it grows without bound while any stage (this one included) stands still.
   *
   * <p>Until its first batch is done, an assigned partition counts from what this sink knew of it
   * when it last owned it, else from the commit time of the checkpoint Convex held at start (a
   * lower bound), so a sink restarted while the transformer is down reports a growing lag, not an
   * unknown one.
   *
   * @return the lag in ms, or empty while unknown: not started, no partition assigned, or an
   *     assigned partition with nothing applied since it was assigned and no checkpoint in Convex
   *     (never a misleading 0)
   */
  public java.util.OptionalLong endToEndLagMs() {
    SinkLoop l = loop;
    return l == null ? java.util.OptionalLong.empty() : l.endToEndLagMs();
  }

  /** Heartbeat ops done since start (never sent to Convex, not counted as applied ops). */
  public long heartbeats() {
    SinkMetrics m = metrics;
    return m == null ? 0 : (long) m.heartbeatsTotal();
  }

  /** Source commit time (epoch ms) of the newest applied op; 0 before the first. */
  public long lastAppliedCommitTs() {
    SinkLoop l = loop;
    return l == null ? 0 : l.lastAppliedCommitTs();
  }

  /** Ops applied since start. */
  public long opsApplied() {
    SinkMetrics m = metrics;
    return m == null ? 0 : (long) m.appliedTotal();
  }

  /** Stale ops skipped since start. */
  public long opsSkipped() {
    SinkMetrics m = metrics;
    return m == null ? 0 : (long) m.skippedTotal();
  }

  /** Ops dead-lettered since start. */
  public long deadLetters() {
    SinkMetrics m = metrics;
    return m == null ? 0 : (long) m.deadLetterTotal();
  }

  /** The checkpoint position Convex last accepted from this sink, or null. */
  public String lastCheckpoint() {
    Checkpointer c = checkpointer;
    return c == null ? null : c.lastCheckpoint();
  }

  /** The failure that stopped the sink, or null while it runs (or after a clean stop). */
  public Throwable failure() {
    SinkLoop l = loop;
    return l == null ? null : l.failure();
  }

  /**
   * Waits until the sink thread ends (after {@link #close()} or a fatal error).
   *
   * @return true if it ended within the timeout
   */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    Thread t = thread;
    if (t == null) {
      return true;
    }
    t.join(Math.max(1, timeout.toMillis()));
    return !t.isAlive();
  }

  /**
   * Stops fetching, finishes in-flight batches (abandoning those still running after {@code
   * sink.shutdown.timeout.ms}), commits what succeeded and releases everything. Idempotent.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
    }
    SinkLoop l = loop;
    if (l != null) {
      l.stop();
    }
    long timeout = config.getLong(SinkConfig.SHUTDOWN_TIMEOUT_MS) + 35_000;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(timeout);
        if (t.isAlive()) {
          log.warn("Sink thread did not stop within {} ms", timeout);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (workers != null) {
      workers.shutdownNow();
      try {
        workers.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (checkpointer != null) {
      checkpointer.close();
    }
    if (client != null) {
      client.close();
    }
    log.info("Sink stopped");
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close: {}", e.toString());
    }
  }
}
