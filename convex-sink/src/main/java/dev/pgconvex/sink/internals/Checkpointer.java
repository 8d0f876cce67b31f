package dev.pgconvex.sink.internals;

import com.fasterxml.jackson.databind.JsonNode;
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
 * does not matter).
 *
 * <p>The answer is read: only {@code applied} makes the position {@link #lastCheckpoint()}. A
 * {@code skipped} one means Convex holds a higher checkpoint for the source (another sink with the
 * same {@code sink.checkpoint.source}, or a replay of the ops topic): it is not reported as stored,
 * not re-sent, and warned once. An answer without a known status is warned once and the position is
 * offered again later. Thread-safe.
 */
public final class Checkpointer implements AutoCloseable {
  /** The mutation (docs/contracts.md). */
  public static final String SET_CHECKPOINT = "cdc/ingest:setCheckpoint";

  /** The query of the stored checkpoint (docs/contracts.md). */
  public static final String GET_CHECKPOINT = "cdc/ingest:getCheckpoint";

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
  private volatile boolean warnedSkipped;
  private volatile boolean warnedUnexpected;

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
      ok = call(position, commitTs);
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

  /**
   * Calls the mutation and reads its answer.
   *
   * @return true when Convex answered (applied or skipped): the position need not be sent again
   */
  private boolean call(String position, long commitTs) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("source", source);
    args.put("position", position);
    if (commitTs > 0) {
      args.put("commitTs", commitTs);
    }
    JsonNode answer = client.mutation(SET_CHECKPOINT, args);
    String status = answer.path("status").asText("");
    switch (status) {
      case "applied" -> {
        applied = position;
        return true;
      }
      case "skipped" -> {
        if (!warnedSkipped) {
          warnedSkipped = true;
          log.warn(
              "Convex kept checkpoint '{}' at {}, ahead of this sink's {}: another sink writes the"
                  + " same sink.checkpoint.source or the ops topic is being replayed; the"
                  + " checkpoint is not moved back and this sink's position is not reported as"
                  + " stored",
              source,
              answer.path("position").asText("?"),
              position);
        }
        return true;
      }
      default -> {
        if (!warnedUnexpected) {
          warnedUnexpected = true;
          log.warn(
              "{} answered {} instead of {{status, position}}: the checkpoint of '{}' is not known"
                  + " to be stored; the deployed cdc/ingest functions do not match"
                  + " docs/contracts.md: deploy the ones of this version",
              SET_CHECKPOINT,
              answer,
              source);
        }
        return false;
      }
    }
  }

  /**
   * The commit time Convex holds in this source's checkpoint: a change at least that recent is
   * known applied on every partition the checkpoint covered. 0 when there is none, it has no commit
   * time, or Convex does not answer (the caller then goes on without it).
   */
  public long storedCommitTs() {
    try {
      JsonNode cp = client.query(GET_CHECKPOINT, Map.of("source", source));
      return cp == null ? 0 : Math.max(0, cp.path("commitTs").asLong(0));
    } catch (ConvexException e) {
      log.info(
          "Could not read checkpoint {} ({}); end-to-end lag is unknown until every partition"
              + " has applied a change",
          source,
          e.getMessage());
      return 0;
    }
  }

  /** The last position Convex stored ({@code applied}) for this sink, or null. */
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
