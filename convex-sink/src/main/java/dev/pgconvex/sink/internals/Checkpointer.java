package dev.pgconvex.sink.internals;

import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advances the sink's checkpoint in Convex ({@code cdc/ingest:setCheckpoint({source, position,
 * commitTs})}) at most once per interval, on its own thread so the consumer never waits for it. A
 * failed call is logged and the next offer tries again (the mutation only moves forward, so order
 * does not matter). Thread-safe.
 */
public final class Checkpointer implements AutoCloseable {
  /** The mutation (docs/contracts.md). */
  public static final String SET_CHECKPOINT = "cdc/ingest:setCheckpoint";

  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);

  private final ConvexClient client;
  private final String source;
  private final long intervalNanos;
  private final ExecutorService executor =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "pgconvex-sink-checkpoint");
            t.setDaemon(true);
            return t;
          });
  private String sent;
  private String wanted;
  private long wantedTs;
  private long lastCall;
  private boolean callRunning;
  private volatile String applied;

  public Checkpointer(ConvexClient client, String source, long intervalMs) {
    this.client = client;
    this.source = source;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    this.lastCall = System.nanoTime() - intervalNanos;
  }

  /** Offers a position that every applied op up to is covered by; sends it when due. */
  public synchronized void offer(String position, long commitTs) {
    if (sent != null && position.compareTo(sent) <= 0) {
      return;
    }
    wanted = position;
    wantedTs = commitTs;
    long now = System.nanoTime();
    if (!callRunning && now - lastCall >= intervalNanos) {
      String p = wanted;
      long ts = wantedTs;
      callRunning = true;
      lastCall = now;
      executor.execute(() -> send(p, ts));
    }
  }

  private void send(String position, long commitTs) {
    boolean ok = false;
    try {
      call(position, commitTs);
      ok = true;
    } catch (ConvexException e) {
      log.warn("Could not advance checkpoint {} to {}: {}", source, position, e.getMessage());
    } finally {
      synchronized (this) {
        callRunning = false;
        if (ok && (sent == null || position.compareTo(sent) > 0)) {
          sent = position;
        }
      }
    }
  }

  private void call(String position, long commitTs) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("source", source);
    args.put("position", position);
    if (commitTs > 0) {
      args.put("commitTs", commitTs);
    }
    client.mutation(SET_CHECKPOINT, args);
    applied = position;
  }

  /** The last position Convex accepted, or null. */
  public String lastCheckpoint() {
    return applied;
  }

  /** Sends the newest offered position now if it was not sent (shutdown); best effort. */
  public void flush() {
    String p;
    long ts;
    synchronized (this) {
      if (wanted == null || (sent != null && wanted.compareTo(sent) <= 0)) {
        return;
      }
      p = wanted;
      ts = wantedTs;
    }
    try {
      executor.submit(() -> send(p, ts)).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.debug("Final checkpoint not written: {}", e.toString());
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
