package dev.pgconvex.cli.verify;

import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.operations.SyncCondition;
import dev.pgconvex.operations.lag.ConsumerLag;
import dev.pgconvex.verify.Finding;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.MirrorVerifier;
import dev.pgconvex.verify.VerifyException;
import dev.pgconvex.verify.VerifyReport;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until the mirror is in sync: the pipeline is caught up to a WAL position ({@link
 * SyncCondition}, the one definition shared by {@code run} and {@code demo}) and the row and
 * document counts agree; then a full content comparison decides: {@code ./cdc verify}'s ({@link
 * MirrorCheck}, chunk by chunk, its memory independent of the tables' size), or for a key type it
 * does not read, {@link MirrorVerifier}, which holds every document in memory. Not thread-safe.
 */
public final class SyncWaiter {
  private static final Logger log = LoggerFactory.getLogger(SyncWaiter.class);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final int MAX_LISTED = 20;
  private static final MirrorCheck.Options CHECK =
      new MirrorCheck.Options(1000, 2, Duration.ofSeconds(10), null, MAX_LISTED);

  private final Pipeline pipeline;
  private String inMemoryBecause;

  public SyncWaiter(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  /**
   * @param timeout how long to wait in all
   * @param startNanos {@link System#nanoTime()} at the start of the command, for {@code elapsedMs}
   * @param startLsn the WAL position the pipeline must have applied (changes committed before the
   *     command's start)
   * @return the outcome; {@code synced} false on timeout, with the reason and the last mismatches
   */
  public SyncResult await(Duration timeout, long startNanos, long startLsn)
      throws SQLException, IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    MirrorVerifier.Report last = null;
    String reason = "timed out after " + timeout.toSeconds() + " s";
    try (Connection c = pipeline.connect();
        ConsumerLag lag = new ConsumerLag(pipeline.kafkaClientProps())) {
      BooleanSupplier extra = () -> caughtUp(lag, startLsn);
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
          last = compare(verifier);
          if (last.inSync()) {
            return result(true, last, startNanos, null);
          }
          log.debug("Counts agree but content differs: {}", last.mismatches());
        }
        Thread.sleep(POLL.toMillis());
      }
      if (last == null) {
        last = compare(verifier);
      }
      if (last.inSync() && reason.startsWith("timed out")) {
        reason =
            "content matched but the pipeline did not report being caught up in time"
                + (lastNotCaughtUp == null ? "" : " (" + lastNotCaughtUp + ")");
      }
      return result(false, last, startNanos, reason);
    }
  }

  /** The content comparison, in the shape of {@link MirrorVerifier.Report}. */
  private MirrorVerifier.Report compare(MirrorVerifier inMemory)
      throws SQLException, IOException, InterruptedException {
    if (inMemoryBecause == null) {
      try {
        return report(
            new MirrorCheck(
                    pipeline::connect,
                    pipeline.mapping(),
                    pipeline.convex(),
                    CHECK,
                    MirrorCheck.Progress.NONE)
                .run(List.of()));
      } catch (VerifyException e) {
        inMemoryBecause = e.getMessage();
        log.info(
            "Comparing by content in memory ({}): it holds every document while it compares",
            inMemoryBecause);
      }
    }
    return inMemory.verify();
  }

  /**
   * Counts and differences per table; a key still changing when the comparison ended is not yet in
   * sync either (a verdict only for what was checked), so it is listed too.
   */
  static MirrorVerifier.Report report(VerifyReport r) {
    Map<String, MirrorVerifier.TableReport> tables = new LinkedHashMap<>();
    List<String> mismatches = new ArrayList<>();
    r.tables()
        .forEach(
            (name, t) -> {
              tables.put(name, new MirrorVerifier.TableReport(t.pgRows(), t.convexDocs()));
              long all = 0;
              for (Finding.Kind k : Finding.Kind.values()) {
                all += t.count(k);
              }
              List<Finding> listed = t.findings();
              for (Finding f : listed) {
                if (mismatches.size() < MAX_LISTED) {
                  mismatches.add(name + " " + f.key() + ": " + f.describe());
                }
              }
              if (all > listed.size() || (all > 0 && listed.isEmpty())) {
                mismatches.add(name + ": " + all + " differences in all");
              }
              if (t.inFlightCount() > 0) {
                mismatches.add(
                    name + ": " + t.inFlightCount() + " keys still changing, not compared yet");
              }
            });
    return new MirrorVerifier.Report(tables, mismatches);
  }

  private String lastNotCaughtUp;

  private boolean caughtUp(ConsumerLag lag, long startLsn) {
    boolean drained;
    try {
      drained = lag.drained(pipeline.topics(), pipeline.mapping());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      drained = false; // Kafka busy or away: not caught up yet, asked again at the next poll
    }
    Map<String, StageStatus> stages = new java.util.LinkedHashMap<>();
    pipeline.services().forEach(s -> s.status().ifPresent(st -> stages.put(st.stage(), st)));
    lastNotCaughtUp = SyncCondition.notCaughtUp(stages, drained, startLsn);
    return lastNotCaughtUp == null;
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
