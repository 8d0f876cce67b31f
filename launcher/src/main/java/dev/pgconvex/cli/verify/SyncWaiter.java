package dev.pgconvex.cli.verify;

import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.verify.MirrorVerifier;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until the mirror is in sync. Cheap checks are polled (row and document counts, pending
 * references, an optional extra condition such as "the source passed the start LSN"); when they
 * agree, a full content comparison decides. Not thread-safe.
 */
public final class SyncWaiter {
  private static final Logger log = LoggerFactory.getLogger(SyncWaiter.class);
  private static final Duration POLL = Duration.ofMillis(250);

  private final Pipeline pipeline;

  public SyncWaiter(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  /**
   * @param timeout how long to wait in all
   * @param startNanos {@link System#nanoTime()} at the start of the command, for {@code elapsedMs}
   * @param extra a further condition that must hold (always true if none)
   * @return the outcome; {@code synced} false on timeout, with the reason and the last mismatches
   */
  public SyncResult await(Duration timeout, long startNanos, BooleanSupplier extra)
      throws SQLException, IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    MirrorVerifier.Report last = null;
    String reason = "timed out after " + timeout.toSeconds() + " s";
    try (Connection c = pipeline.connect()) {
      MirrorVerifier verifier =
          new MirrorVerifier(
              c, pipeline.mapping(), (path, args) -> pipeline.convex().query(path, args));
      while (System.nanoTime() < deadline) {
        String unhealthy = unhealthyService();
        if (unhealthy != null) {
          reason = unhealthy;
          break;
        }
        Map<String, long[]> counts = verifier.counts();
        boolean countsMatch = counts.values().stream().allMatch(v -> v[0] == v[1]);
        if (countsMatch && pipeline.progress().pendingRows() == 0 && extra.getAsBoolean()) {
          last = verifier.verify();
          if (last.inSync()) {
            return result(true, last, startNanos, null);
          }
          log.debug("Counts agree but content differs: {}", last.mismatches());
        }
        Thread.sleep(POLL.toMillis());
      }
      if (last == null) {
        last = verifier.verify();
      }
      if (last.inSync() && reason.startsWith("timed out")) {
        reason = "content matched but the pipeline did not report being caught up in time";
      }
      return result(false, last, startNanos, reason);
    }
  }

  private String unhealthyService() {
    for (var s : pipeline.services()) {
      var h = s.health();
      if (!h.up()) {
        return s.name() + " is down: " + h.detail();
      }
    }
    return null;
  }

  private SyncResult result(
      boolean synced, MirrorVerifier.Report report, long startNanos, String reason) {
    return new SyncResult(
        synced,
        report.tables(),
        pipeline.progress().pendingRows(),
        (System.nanoTime() - startNanos) / 1_000_000,
        report.mismatches(),
        reason);
  }
}
