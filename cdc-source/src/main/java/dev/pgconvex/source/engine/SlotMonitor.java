package dev.pgconvex.source.engine;

import dev.pgconvex.common.model.Position;
import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.preflight.PgConnections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the replication slot's lag ({@code pg_current_wal_lsn() - confirmed_flush_lsn}) on its own
 * small JDBC connection every {@code source.slot.lag.poll.interval.ms}, into {@link
 * SourceProgress}. Reports a lost slot to {@code onLost}. On the same thread and connection it
 * polls {@link FilteredEvents} (changes Debezium dropped). Owns one daemon thread; close to stop.
 */
public final class SlotMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SlotMonitor.class);

  private final SourceSettings settings;
  private final SourceProgress progress;
  private final Consumer<String> onLost;
  private final FilteredEvents filtered;
  private final PartitionTruncateWatch truncateWatch;
  private final ScheduledExecutorService scheduler;
  private Connection connection; // only touched by the scheduler thread

  /**
   * @param filtered polled with the slot: changes Debezium dropped
   * @param truncateWatch given a chance at every poll to watch partitions created meanwhile; may be
   *     null
   */
  public SlotMonitor(
      SourceSettings settings,
      SourceProgress progress,
      FilteredEvents filtered,
      Consumer<String> onLost,
      PartitionTruncateWatch truncateWatch) {
    this.settings = settings;
    this.progress = progress;
    this.filtered = filtered;
    this.onLost = onLost;
    this.truncateWatch = truncateWatch;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "pgconvex-source-slot-monitor");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts polling now and then at the configured interval. */
  public void start() {
    scheduler.scheduleWithFixedDelay(
        this::poll, 0, settings.slotLagPollIntervalMs(), TimeUnit.MILLISECONDS);
  }

  /** Reads the slot once, on the calling thread's behalf (also used by tests). */
  void poll() {
    try {
      if (connection == null || connection.isClosed()) {
        connection = PgConnections.open(settings, "pgconvex-source-slot-monitor");
      }
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,"
                  + " confirmed_flush_lsn::text, wal_status, active"
                  + " FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, settings.slotName());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            String confirmed = rs.getString(2);
            String walStatus = rs.getString(3);
            progress.slot(
                rs.getLong(1),
                confirmed == null ? 0 : Position.parseLsn(confirmed),
                walStatus,
                rs.getBoolean(4),
                System.currentTimeMillis());
            if ("lost".equals(walStatus)) {
              onLost.accept(
                  "replication slot '"
                      + settings.slotName()
                      + "' is lost (wal_status 'lost'): changes are missing; a resync is needed");
            }
          }
        }
      }
      filtered.poll(connection);
      if (truncateWatch != null) {
        truncateWatch.install(connection);
      }
    } catch (SQLException | RuntimeException e) {
      log.warn("Cannot read replication slot '{}': {}", settings.slotName(), e.toString());
      closeConnection();
    }
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // Nothing to do: the connection is being dropped anyway.
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }
}
