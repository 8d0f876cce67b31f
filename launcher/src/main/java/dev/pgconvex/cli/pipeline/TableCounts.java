package dev.pgconvex.cli.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.verify.MirrorVerifier;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per table the rows in Postgres and the live documents in Convex, as {@code ./cdc demo} counts
 * them ({@link MirrorVerifier#counts()}: {@code count(*)} and {@code cdc/ingest:tableCount}),
 * served at {@code GET /tables} for the dashboard. Counting reads both stores, so it runs only
 * while someone asks: one daemon thread counts every {@link #EVERY} while the route was asked in
 * the last {@link #WANTED_FOR}, and the route answers the last count at once ({@code {"tables": {t:
 * {"pgRows", "convexDocs"}} | null, "atMs", "error"}}). Thread-safe.
 */
final class TableCounts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TableCounts.class);
  static final Duration EVERY = Duration.ofSeconds(2);
  static final Duration WANTED_FOR = Duration.ofSeconds(30);

  private final Pipeline pipeline;
  private final Thread thread;
  private final Object wake = new Object();
  private volatile boolean closed;
  private volatile long askedAtMs;
  private volatile Map<String, long[]> last;
  private volatile long lastAtMs;
  private volatile String error;

  TableCounts(Pipeline pipeline) {
    this.pipeline = pipeline;
    this.thread = new Thread(this::loop, "pgconvex-table-counts");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** The route's body; marks the counts wanted. */
  ObjectNode json() {
    askedAtMs = System.currentTimeMillis();
    synchronized (wake) {
      wake.notifyAll();
    }
    ObjectNode o = Json.NODES.objectNode();
    Map<String, long[]> counts = last;
    if (counts == null) {
      o.putNull("tables");
    } else {
      ObjectNode t = o.putObject("tables");
      counts.forEach((k, v) -> t.putObject(k).put("pgRows", v[0]).put("convexDocs", v[1]));
    }
    o.put("atMs", lastAtMs);
    o.put("error", error);
    return o;
  }

  private void loop() {
    Connection c = null;
    try {
      while (!closed) {
        synchronized (wake) {
          // woken by a request, or the interval passed: a poll interval, not a wait for a result
          wake.wait(EVERY.toMillis());
        }
        if (closed || System.currentTimeMillis() - askedAtMs > WANTED_FOR.toMillis()) {
          continue;
        }
        if (System.currentTimeMillis() - lastAtMs < EVERY.toMillis() / 2) {
          continue;
        }
        try {
          if (c == null || c.isClosed()) {
            c = pipeline.connect();
          }
          MirrorVerifier counter =
              new MirrorVerifier(
                  c, pipeline.mapping(), (path, args) -> pipeline.convex().query(path, args));
          last = counter.counts();
          lastAtMs = System.currentTimeMillis();
          error = null;
        } catch (Exception e) {
          // Convex may throttle or be away, Postgres may restart: the stages' statuses say so.
          error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
          log.debug("Table counts not read: {}", error);
          if (c != null) {
            try {
              c.close();
            } catch (Exception ignored) {
              // a broken connection
            }
            c = null;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (c != null) {
        try {
          c.close();
        } catch (Exception ignored) {
          // closing anyway
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
