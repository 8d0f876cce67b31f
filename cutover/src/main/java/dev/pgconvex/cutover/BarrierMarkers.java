package dev.pgconvex.cutover;

import dev.pgconvex.cutover.barrier.Barrier;
import dev.pgconvex.cutover.barrier.Marker;
import dev.pgconvex.cutover.barrier.MarkerEmitter;
import dev.pgconvex.cutover.barrier.MarkerProgress;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * {@link MarkerPort} on the real chain: {@link MarkerEmitter} on a connection of its own (the
 * message is non-transactional, so it need not be the freeze's), {@link Barrier} polled every
 * {@code poll}.
 */
public final class BarrierMarkers implements MarkerPort, AutoCloseable {
  private final LockFreeze.Connector connector;
  private final String pipeline;
  private final Barrier barrier;
  private final Duration poll;
  private Connection db;

  public BarrierMarkers(
      LockFreeze.Connector connector, String pipeline, Barrier barrier, Duration poll) {
    this.connector = connector;
    this.pipeline = pipeline;
    this.barrier = barrier;
    this.poll = poll;
  }

  @Override
  public Marker emit(String id) throws SQLException {
    if (db == null) {
      db = connector.open();
      db.setAutoCommit(true);
      try (java.sql.Statement st = db.createStatement()) {
        // A read-only freeze of the whole database must not make this session read only.
        st.execute("SET default_transaction_read_only = off");
      }
    }
    return MarkerEmitter.emit(db, pipeline, id);
  }

  @Override
  public MarkerProgress await(Marker m, Duration timeout, BooleanSupplier cancelled)
      throws InterruptedException {
    return barrier.await(m, timeout, poll, cancelled);
  }

  @Override
  public void close() {
    if (db != null) {
      try {
        db.close();
      } catch (SQLException ignored) {
        // nothing held on it
      }
      db = null;
    }
  }
}
