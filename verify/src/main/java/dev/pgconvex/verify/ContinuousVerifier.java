package dev.pgconvex.verify;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.sink.http.ConvexClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background verification of a running pipeline ({@link VerifyConfig#CONTINUOUS_ENABLED}): one
 * {@link MirrorCheck} pass after another, at most {@link VerifyConfig#CONTINUOUS_ROWS_PER_SEC} rows
 * a second (the scan waits between chunks), with a pause between passes. Exposes, after each
 * complete pass, {@code pgconvex_verify_mismatched_rows{table}} (differences of every class, keys
 * in flight not counted) and {@code pgconvex_verify_last_pass_completed_seconds} (epoch seconds, 0
 * before the first), plus {@code pgconvex_verify_passes_total} and {@code
 * pgconvex_verify_pass_failures_total}. One daemon thread; a failed pass is logged and the next one
 * tries again. Thread-safe.
 */
public final class ContinuousVerifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ContinuousVerifier.class);

  private final MirrorCheck.Connector pg;
  private final Supplier<Mapping> mapping;
  private final ConvexClient convex;
  private final int rowsPerSec;
  private final Duration pause;
  private final Duration settle;
  private final Map<String, AtomicLong> mismatched = new ConcurrentHashMap<>();
  private final AtomicLong lastPass = new AtomicLong();
  private final Counter passes;
  private final Counter failures;
  private final Thread thread;
  private volatile boolean closed;
  private volatile long startedAtMs;
  private volatile LastError lastError;

  public ContinuousVerifier(
      Config config,
      MirrorCheck.Connector pg,
      Supplier<Mapping> mapping,
      ConvexClient convex,
      MeterRegistry registry) {
    this.pg = pg;
    this.mapping = mapping;
    this.convex = convex;
    this.rowsPerSec = config.getInt(VerifyConfig.CONTINUOUS_ROWS_PER_SEC);
    this.pause = Duration.ofMillis(config.getLong(VerifyConfig.CONTINUOUS_PAUSE_MS));
    this.settle = Duration.ofMillis(config.getLong(VerifyConfig.CONTINUOUS_SETTLE_TIMEOUT_MS));
    for (TableMapping t : mapping.get().tables()) {
      AtomicLong v = new AtomicLong();
      mismatched.put(t.target(), v);
      Gauge.builder("pgconvex.verify.mismatched.rows", v, AtomicLong::get)
          .description(
              "Keys where the mirror differed from Postgres in the last complete background pass")
          .tag("table", t.target())
          .register(registry);
    }
    Gauge.builder("pgconvex.verify.last.pass.completed.seconds", lastPass, AtomicLong::get)
        .description("Epoch seconds of the last complete background verification pass (0: none)")
        .register(registry);
    passes =
        Counter.builder("pgconvex.verify.passes")
            .description("Complete background verification passes")
            .register(registry);
    failures =
        Counter.builder("pgconvex.verify.pass.failures")
            .description("Background verification passes that could not complete")
            .register(registry);
    thread = new Thread(this::loop, "pgconvex-verify-continuous");
    thread.setDaemon(true);
  }

  public void start() {
    startedAtMs = System.currentTimeMillis();
    thread.start();
  }

  /** The typed status ({@code GET /verify}). */
  public VerifyStatus status() {
    Map<String, Long> byTable = mismatchedRows();
    long last = lastPass.get();
    return new VerifyStatus(
        thread.isAlive() && !closed,
        startedAtMs,
        (long) passes.count(),
        (long) failures.count(),
        last == 0 ? null : last * 1000,
        byTable.values().stream().mapToLong(Long::longValue).sum(),
        byTable,
        lastError);
  }

  /** Differences per table in the last complete pass. */
  public Map<String, Long> mismatchedRows() {
    Map<String, Long> out = new java.util.LinkedHashMap<>();
    mismatched.forEach((t, v) -> out.put(t, v.get()));
    return out;
  }

  /** Epoch millis of the last complete pass, 0 before the first. */
  public long lastPassMillis() {
    return lastPass.get() * 1000;
  }

  private void loop() {
    while (!closed) {
      try {
        VerifyReport r = pass();
        r.tables()
            .forEach(
                (t, res) -> {
                  long n = res.counts().values().stream().mapToLong(Long::longValue).sum();
                  mismatched.computeIfAbsent(t, k -> new AtomicLong()).set(n);
                });
        lastPass.set(Math.max(1, System.currentTimeMillis() / 1000));
        passes.increment();
        if (!r.equal()) {
          log.warn(
              "Background verification: the mirror differs from Postgres: {}; ./cdc verify lists"
                  + " the keys and --repair fixes them",
              mismatchedRows());
        }
        r.tables()
            .forEach(
                (t, res) -> {
                  long n = res.count(Finding.Kind.UNKEYED);
                  if (n > 0) {
                    log.warn(
                        "Background verification: {} document(s) of {} were written by something"
                            + " other than the pipeline (no key row points at them, e.g. {}): stop"
                            + " whatever writes the mirrored table during the dual run; ./cdc"
                            + " verify --repair deletes them",
                        n,
                        t,
                        res.unkeyed().isEmpty() ? "?" : res.unkeyed().get(0).docId());
                  }
                });
        Thread.sleep(pause.toMillis());
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        failures.increment();
        lastError = new LastError("verification pass failed: " + e, System.currentTimeMillis());
        log.warn("Background verification pass failed: {}", e.toString());
        try {
          Thread.sleep(Math.max(1000, pause.toMillis()));
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private VerifyReport pass() throws Exception {
    long t0 = System.nanoTime();
    MirrorCheck.Progress throttle =
        new MirrorCheck.Progress() {
          private long rows;
          private final Map<String, Long> walked = new java.util.HashMap<>();

          @Override
          public void rows(String table, long done, long total, long allDone, long allTotal) {
            rows = allDone;
            waitForRate();
          }

          @Override
          public void unkeyedScanned(String table, long docs) {
            walked.put(table, docs);
            waitForRate();
          }

          // Waits until the rows and documents read so far are within the rate since the pass
          // began.
          private void waitForRate() {
            long read = rows + walked.values().stream().mapToLong(Long::longValue).sum();
            long dueNanos = (long) (read * 1e9 / rowsPerSec);
            long aheadMs = (dueNanos - (System.nanoTime() - t0)) / 1_000_000;
            if (aheadMs > 0) {
              try {
                Thread.sleep(aheadMs);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VerifyException("interrupted", e);
              }
            }
          }
        };
    int chunk = Math.max(1, Math.min(1000, rowsPerSec));
    MirrorCheck check =
        new MirrorCheck(
            pg,
            mapping.get(),
            convex,
            new MirrorCheck.Options(chunk, 1, settle, null, 100),
            throttle);
    return check.run(List.of());
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    thread.interrupt();
    thread.join(10_000);
  }
}
