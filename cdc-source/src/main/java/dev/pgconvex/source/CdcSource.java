package dev.pgconvex.source;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.common.service.Service;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.engine.EngineProperties;
import dev.pgconvex.source.engine.FilteredEvents;
import dev.pgconvex.source.engine.KafkaChangeConsumer;
import dev.pgconvex.source.engine.PartitionTruncateWatch;
import dev.pgconvex.source.engine.SlotMonitor;
import dev.pgconvex.source.engine.SourceMetrics;
import dev.pgconvex.source.engine.SourceProgress;
import dev.pgconvex.source.engine.TopicSetup;
import dev.pgconvex.source.preflight.PgConnections;
import dev.pgconvex.source.preflight.Preflight;
import dev.pgconvex.source.preflight.PublicationState;
import dev.pgconvex.source.preflight.SourceLineage;
import dev.pgconvex.source.preflight.SourcePreflightException;
import dev.pgconvex.source.preflight.SourceUnavailableException;
import dev.pgconvex.source.preflight.StoredOffsets;
import dev.pgconvex.source.signal.ResyncSignal;
import io.debezium.embedded.Connect;
import io.debezium.embedded.async.ConvertingAsyncEngineBuilderFactory;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDC source: captures the configured Postgres tables with Debezium (pgoutput, a named slot
 * kept across restarts) and writes every change to Kafka, one topic per table ({@code
 * <prefix>.<schema>.<table>}, Debezium JSON without schemas), storing its position in {@code
 * <prefix>.offsets} only after Kafka acknowledged the changes before it. See docs/contracts.md.
 *
 * <p>Usage: {@code new CdcSource(SourceConfig.parse(props), registry)}, then {@link #start()}
 * (preflight, topics, engine), {@link #health()} while running, {@link #close()} to stop. {@link
 * #terminated()} completes when the engine stops on its own (exceptionally on failure): a process
 * should then exit non-zero so it restarts from the stored position.
 *
 * <p>Copying the tables ({@code source.snapshot.mode}): {@code initial} takes Debezium's blocking
 * snapshot (read events {@code op: "r"} with {@code source.snapshot} {@code true}/{@code last},
 * then streaming); an interrupted snapshot starts over on the next start. {@code incremental}
 * streams at once and loads each table through an incremental snapshot requested once per slot and
 * table in the signal table; it resumes at the next chunk after a restart, and a table added later
 * to {@code source.tables} is loaded on the next start. Resyncs ({@code ./cdc resync}, see {@link
 * dev.pgconvex.source.signal.ResyncSignal}) use the same mechanism. Incremental read events carry
 * {@code source.snapshot: "incremental"}, no {@code source.lsn} and no transaction block.
 *
 * <p>Thread-safety: {@link #start()} once, from one thread; every other method from any thread.
 * Owns its Kafka producer, the engine thread and the slot monitor; the registry is the caller's.
 */
public final class CdcSource implements Service {
  private static final Logger log = LoggerFactory.getLogger(CdcSource.class);
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);

  private final SourceSettings settings;
  private final SourceProgress progress = new SourceProgress();
  private final SourceMetrics metrics;
  private final PartitionTruncateWatch truncateWatch;
  private final FilteredEvents filteredEvents;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final AtomicBoolean startCalled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private volatile Producer<byte[], byte[]> producer;
  private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private volatile Thread engineThread;
  private volatile SlotMonitor slotMonitor;
  private volatile long failedAtMs;

  /**
   * Reads the configuration; connects to nothing yet.
   *
   * @param config parsed by {@link SourceConfig#definition()} (or {@link SourceConfig#parse})
   * @param registry where the source's meters go; not closed by the source
   * @throws ConfigException when keys contradict each other
   */
  public CdcSource(Config config, MeterRegistry registry) {
    this.settings = SourceSettings.from(Objects.requireNonNull(config, "config"));
    this.metrics = new SourceMetrics(Objects.requireNonNull(registry, "registry"), progress);
    this.truncateWatch = new PartitionTruncateWatch(settings);
    this.filteredEvents = new FilteredEvents(settings, registry);
  }

  @Override
  public String name() {
    return "source";
  }

  /**
   * Checks Postgres (nothing written before every check passed), creates the heartbeat table and
   * the topics, starts the engine, and returns once the connector's task runs (the snapshot, if
   * any, continues in the background: see {@link #snapshotFinished()}).
   *
   * @throws SourcePreflightException when Postgres is not ready (not retriable: fix and restart)
   * @throws SourceUnavailableException when Postgres or Kafka cannot be reached (retriable)
   * @throws IllegalStateException when called twice or after {@link #close()}
   */
  @Override
  public void start() throws InterruptedException {
    if (!startCalled.compareAndSet(false, true) || closed.get()) {
      throw new IllegalStateException("CdcSource can be started once, before close()");
    }
    log.info("Starting CDC source: {}", settings);
    try {
      boolean offsetsStored;
      try (Admin admin = Admin.create(adminProps())) {
        offsetsStored =
            StoredOffsets.exist(
                admin, settings, EngineProperties.engineName(settings), Duration.ofSeconds(60));
        SourceLineage.Claim lineage = SourceLineage.inspect(settings, admin);
        Preflight.run(settings, offsetsStored, lineage.problems(settings.topics().prefix()));
        SourceLineage.record(settings, lineage);
        ensureInternalTables();
        TopicSetup.ensureTopics(admin, settings, Duration.ofSeconds(60));
      }
      if (offsetsStored && !settings.incrementalInitialLoad()) {
        requestLoadsOfAddedTables();
      }
      producer = new KafkaProducer<>(producerProps());
      startEngine();
      awaitStarted();
      if (settings.incrementalInitialLoad()) {
        requestInitialLoads();
      }
      slotMonitor = new SlotMonitor(settings, progress, filteredEvents, this::fail, truncateWatch);
      slotMonitor.start();
      log.info("CDC source running: slot '{}', tables {}", settings.slotName(), settings.tables());
    } catch (RuntimeException | InterruptedException e) {
      if (e instanceof SourcePreflightException) {
        fail(e.getMessage());
      } else {
        fail("start failed: " + e.getMessage());
      }
      close();
      throw e;
    }
  }

  /**
   * Creates the heartbeat and signal tables when missing (Debezium adds them to the publication).
   */
  private void ensureInternalTables() {
    try (Connection c = PgConnections.open(settings, "pgconvex-source-setup");
        Statement st = c.createStatement()) {
      createIfMissing(
          st,
          settings.heartbeatTable(),
          "CREATE TABLE IF NOT EXISTS "
              + settings.heartbeatTable().quoted()
              + " (id int PRIMARY KEY, ts timestamptz)");
      st.execute(EngineProperties.heartbeatQuery(settings.heartbeatTable()));
      createIfMissing(
          st, settings.signalTable(), EngineProperties.signalTableDdl(settings.signalTable()));
      truncateWatch.install(c);
      if (PublicationState.fixIfNeeded(c, settings)) {
        log.warn(
            "Publication '{}' published partition changes under the partitions' names, which"
                + " the source cannot match to the captured tables: ran {}",
            settings.publicationName(),
            PublicationState.fixStatement(settings.publicationName()));
      }
      List<String> unpublished =
          PublicationState.unpublishedOperations(c, settings.publicationName());
      if (!unpublished.isEmpty()) {
        // Postgres never sends these changes: nothing downstream could count or report them.
        log.warn(
            "Publication '{}' does not publish {}: such changes of the captured tables never reach"
                + " the source and Convex keeps the old rows. Run {}",
            settings.publicationName(),
            String.join(", ", unpublished),
            PublicationState.publishAllStatement(settings.publicationName()));
      }
    } catch (SQLException e) {
      throw new SourceUnavailableException(
          "Cannot create heartbeat table "
              + settings.heartbeatTable()
              + " or signal table "
              + settings.signalTable()
              + ", or update publication "
              + settings.publicationName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  // Postgres checks CREATE on the schema even for CREATE TABLE IF NOT EXISTS of a table that
  // exists: a user given the tables made for it (and no CREATE, as the preflight's fix and
  // deploy/postgres/initdb do) must not need it.
  private static void createIfMissing(Statement st, TableId table, String ddl) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT to_regclass('" + table.quoted().replace("'", "''") + "') IS NULL")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        return;
      }
    }
    st.execute(ddl);
  }

  /**
   * Requests, once per slot and table, an incremental snapshot of each captured table. The signal
   * id is derived from both, so a restart requests nothing again (the load resumes from the
   * offsets) while a table newly added to {@code source.tables} gets its load. Runs after the
   * engine started: the slot exists, so the signal is in the WAL the source reads.
   */
  private void requestInitialLoads() {
    try (Connection c = PgConnections.open(settings, "pgconvex-source-setup")) {
      for (TableId t : settings.tables()) {
        if (new ResyncSignal(t, null).sendOnce(c, settings.signalTable(), initialLoadSignalId(t))) {
          log.info("Initial load of {} requested (incremental snapshot)", t);
        }
      }
    } catch (SQLException e) {
      throw new SourceUnavailableException(
          "Cannot request the initial load in " + settings.signalTable() + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * A table added to {@code source.tables} after the first start: Debezium streams it from now on
   * but takes no snapshot of it (the slot's offsets exist), so it is loaded alone by an incremental
   * snapshot while the others stream. Added means: the publication, which Debezium keeps to the
   * captured tables ({@code publication.autocreate.mode=filtered}), does not publish it yet.
   * Requested before the engine starts (it adds the table to the publication then), once per slot
   * and table like {@link #requestInitialLoads}, so a crash in between loses nothing.
   */
  private void requestLoadsOfAddedTables() {
    try (Connection c = PgConnections.open(settings, "pgconvex-source-setup")) {
      java.util.Set<String> published = PublicationState.tables(c, settings.publicationName());
      if (published.isEmpty()) {
        return; // no publication yet: the snapshot covers every table
      }
      for (TableId t : settings.tables()) {
        if (published.contains(t.toString())) {
          continue;
        }
        if (new ResyncSignal(t, null).sendOnce(c, settings.signalTable(), initialLoadSignalId(t))) {
          log.info(
              "Table {} was added to source.tables: it is loaded alone by an incremental snapshot"
                  + " while the other tables stream",
              t);
        }
      }
    } catch (SQLException e) {
      throw new SourceUnavailableException(
          "Cannot request the load of the added tables in "
              + settings.signalTable()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private String initialLoadSignalId(TableId table) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(
                  (settings.slotName() + "\u0000" + table)
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "initial-" + HexFormat.of().formatHex(digest, 0, 16); // 40 chars: id is varchar(42)
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private void startEngine() {
    var props = EngineProperties.build(settings);
    log.debug("Debezium engine properties: {}", EngineProperties.forLog(props));
    engine =
        new ConvertingAsyncEngineBuilderFactory()
            .builder(ChangeEventFormat.of(Connect.class))
            .using(props)
            .notifying(
                new KafkaChangeConsumer(
                    producer, settings, progress, metrics, this::deliveryFailed))
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void taskStarted() {
                    started.complete(null);
                  }
                })
            .using(this::engineCompleted)
            .build();
    Thread t = new Thread(engine, "pgconvex-source-engine");
    t.setDaemon(false);
    engineThread = t;
    t.start();
  }

  private void awaitStarted() throws InterruptedException {
    try {
      started.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new SourceUnavailableException(
          "Debezium engine failed to start: " + describe(cause), cause);
    } catch (TimeoutException e) {
      throw new SourceUnavailableException(
          "Debezium engine did not start within " + START_TIMEOUT.toSeconds() + " s", e);
    }
  }

  private void engineCompleted(boolean success, String message, Throwable error) {
    if (success && error == null) {
      started.completeExceptionally(new IllegalStateException("engine stopped: " + message));
      if (closed.get()) {
        log.info("Debezium engine stopped");
        terminated.complete(null);
      } else {
        fail("Debezium engine stopped on its own: " + message);
        terminated.completeExceptionally(new IllegalStateException("engine stopped: " + message));
      }
      return;
    }
    String reason = describe(error != null ? error : new IllegalStateException(message));
    log.error("Debezium engine failed: {}", reason, error);
    fail("Debezium engine failed: " + reason);
    Throwable t = error != null ? error : new IllegalStateException(message);
    started.completeExceptionally(t);
    terminated.completeExceptionally(t);
  }

  private void deliveryFailed(Throwable error) {
    fail("Kafka delivery failed: " + describe(error));
    terminated.completeExceptionally(error);
  }

  private void fail(String reason) {
    if (failure.compareAndSet(null, reason)) {
      failedAtMs = System.currentTimeMillis();
      log.error("CDC source is down: {}", reason);
    }
  }

  /** The innermost useful message of {@code t}, never a password (Debezium never puts one in). */
  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String top = t.getClass().getSimpleName() + ": " + t.getMessage();
    return root == t
        ? top
        : top + " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }

  /**
   * UP while the engine runs; DOWN with the reason after a failure, before start and after close.
   */
  @Override
  public Health health() {
    String reason = failure.get();
    if (reason != null) {
      return Health.down(reason);
    }
    if (closed.get()) {
      return Health.down("closed");
    }
    if (!started.isDone() || engine == null) {
      return Health.down("starting");
    }
    return Health.up(
        (progress.snapshotFinished() ? "streaming" : "snapshot")
            + ", acked commit LSN "
            + Position.lsnText(progress.ackedCommitLsn())
            + ", slot lag "
            + progress.slotLagBytes()
            + " bytes");
  }

  /** The source's typed status ({@code GET /status}); never blocks. */
  @Override
  public Optional<StageStatus> status() {
    String reason = failure.get();
    Health h = health();
    StageState state =
        reason != null
            ? StageState.FAILED
            : closed.get() ? StageState.STOPPED : h.up() ? StageState.RUNNING : StageState.STARTING;
    long ts = progress.lastSourceTsMs();
    return Optional.of(
        new SourceStatus(
            state,
            h.detail(),
            reason == null ? null : new LastError(reason, failedAtMs),
            progress.ackedCommitLsn(),
            progress.slotConfirmedFlushLsn(),
            progress.slotLagBytes(),
            progress.slotWalStatus(),
            progress.slotActive(),
            progress.slotLsnUnchangedMs(System.currentTimeMillis()),
            ts == 0 ? -1 : Math.max(0, System.currentTimeMillis() - ts),
            progress.snapshotFinished(),
            metrics.snapshotRowsTotal()));
  }

  /**
   * Completes when the engine has stopped: normally after {@link #close()}, exceptionally when it
   * failed (Kafka unavailable beyond the delivery timeout, a database error, a lost slot...).
   */
  public CompletableFuture<Void> terminated() {
    return terminated;
  }

  /**
   * The commit LSN up to which every change is acknowledged by Kafka: a transaction committed at or
   * before it is in Kafka. 0 before the first acknowledgement. Heartbeats move it while captured
   * tables are idle.
   */
  public long ackedCommitLsn() {
    return progress.ackedCommitLsn();
  }

  /** The highest change LSN acknowledged by Kafka (the snapshot's LSN during the snapshot). */
  public long currentLsn() {
    return progress.lastLsn();
  }

  /**
   * True once the initial snapshot (if any) is complete in Kafka and streaming has begun. With
   * {@code source.snapshot.mode=incremental} true as soon as streaming has begun: the load goes on
   * alongside (follow {@code pgconvex_source_snapshot_rows_total}).
   */
  public boolean snapshotFinished() {
    return progress.snapshotFinished();
  }

  /** Row changes (snapshot reads included) acknowledged by Kafka since this source started. */
  public long changesCaptured() {
    return metrics.eventsTotal();
  }

  /**
   * Rows read by snapshots (initial, incremental or resync) and acknowledged by Kafka since this
   * source started: 0 for a start that resumed streaming where the last one stopped.
   */
  public long snapshotRowsRead() {
    return metrics.snapshotRowsTotal();
  }

  /** The slot's confirmed_flush_lsn at the last reading (every slot lag poll); 0 before. */
  public long slotConfirmedFlushLsn() {
    return progress.slotConfirmedFlushLsn();
  }

  /** The typed configuration in use. */
  public SourceSettings settings() {
    return settings;
  }

  /**
   * Stops the engine (which stores the position of what Kafka acknowledged), then the producer and
   * the slot monitor. Idempotent; blocks up to about a minute.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    SlotMonitor monitor = slotMonitor;
    if (monitor != null) {
      monitor.close();
    }
    stopEngine();
    Producer<byte[], byte[]> p = producer;
    if (p != null) {
      p.close(Duration.ofSeconds(failure.get() == null ? 30 : 0));
    }
    if (!terminated.isDone()) {
      terminated.complete(null);
    }
    log.info("CDC source closed");
  }

  private void stopEngine() {
    DebeziumEngine<?> e = engine;
    Thread t = engineThread;
    if (e == null || t == null) {
      return;
    }
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    while (t.isAlive()) {
      try {
        e.close();
        break;
      } catch (IllegalStateException ex) {
        // Thrown while tasks are starting (retry) or when already stopping or stopped (done).
        String m = String.valueOf(ex.getMessage());
        if (!m.contains("starting") || System.nanoTime() > deadline) {
          break;
        }
        try {
          t.join(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      } catch (Exception ex) {
        log.warn("Closing the Debezium engine failed: {}", ex.toString());
        break;
      }
    }
    try {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (t.isAlive()) {
        log.warn("Debezium engine did not stop within {} s", STOP_TIMEOUT.toSeconds());
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }

  private Map<String, Object> adminProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    p.put(
        AdminClientConfig.CLIENT_ID_CONFIG, "pgconvex-source-admin-" + settings.topics().prefix());
    p.putAll(settings.kafkaClientProps());
    return p;
  }

  private Map<String, Object> producerProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "pgconvex-source-" + settings.topics().prefix());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    // While Kafka is away the producer keeps retrying (and send() blocks when its buffer is full)
    // for the whole delivery timeout; only then does the source fail.
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) settings.deliveryTimeoutMs());
    p.put(
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
        (int) Math.min(30_000, settings.deliveryTimeoutMs() - 10));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.deliveryTimeoutMs());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.putAll(settings.kafkaClientProps());
    return p;
  }
}
