package dev.pgconvex.cutover;

import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.ChainStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a pipeline is ready for a cutover, from the stages' typed statuses as {@code ./cdc
 * status} reads them ({@link ChainStatus}) and the last verify a cutover recorded. Pure.
 *
 * <p>Checks, each with its value and verdict: {@code stages} (source, transformer and sink found
 * and {@code RUNNING}, no endpoint unreachable, Convex calls succeeding), {@code endToEndLag}
 * (known and at most {@code maxLagMs}), {@code orphans} (no row held for a parent longer than
 * {@code orphanAfterMs}: younger ones are in flight, waiting for their parent's id), {@code
 * schemaDrift} (no table's changes held for schema drift), {@code deadLetters} (dead letters the
 * stages wrote since they started, at most the number the operator acknowledged), {@code
 * partitions} (the sinks own exactly the ops partitions the barrier waits for) and {@code
 * lastVerify} (the newer of the last verify a cutover or rehearsal recorded and the background
 * verification's last complete pass was clean; unknown when there is neither, which does not
 * block).
 */
public final class Readiness {
  private Readiness() {}

  /**
   * The last verify recorded in Convex ({@code cdc/cutover:lastVerify}).
   *
   * @param cutoverId the cutover (or rehearsal) that ran it
   * @param equal whether it found no difference
   * @param atMs when, epoch ms
   * @param baselineLsn the WAL position it proved Convex right up to (null when unknown)
   */
  public record LastVerify(String cutoverId, boolean equal, long atMs, Long baselineLsn) {}

  /**
   * What the checks compare against.
   *
   * @param maxLagMs the largest end-to-end lag allowed
   * @param partitions the ops partitions ({@code cdc.topic.partitions})
   * @param acceptedDeadLetters dead letters the operator has looked at ({@code
   *     --accept-dead-letters})
   * @param verifiesEverything this run verifies every table ({@code --verify full}): a last verify
   *     with differences does not block it (it is how a clean one is recorded again)
   * @param orphanAfterMs a row held for a parent longer than this is an orphan ({@code
   *     --orphan-after-ms}); younger ones are in flight. The transformer tells the age as of its
   *     last orphan check (every quarter of {@code transformer.orphan.report.after.ms}, at most 10
   *     s), so under a steady load the age read can be that much too high: keep it well above 10 s
   */
  public record Limits(
      long maxLagMs,
      int partitions,
      long acceptedDeadLetters,
      boolean verifiesEverything,
      long orphanAfterMs) {
    /** The default orphan age. */
    public static final long DEFAULT_ORPHAN_AFTER_MS = 30_000;

    /** Without a full verify, with the default orphan age. */
    public Limits(long maxLagMs, int partitions, long acceptedDeadLetters) {
      this(maxLagMs, partitions, acceptedDeadLetters, false, DEFAULT_ORPHAN_AFTER_MS);
    }
  }

  /** The checks, in a fixed order. */
  public static ReadinessReport evaluate(ChainStatus chain, LastVerify lastVerify, Limits limits) {
    List<Check> checks = new ArrayList<>();
    checks.add(stages(chain));
    checks.add(lag(chain, limits.maxLagMs()));
    TransformerStatus t =
        chain.stages().get("transformer") instanceof TransformerStatus x ? x : null;
    SinkStatus k = chain.stages().get("sink") instanceof SinkStatus x ? x : null;
    checks.add(orphans(t, limits.orphanAfterMs()));
    checks.add(schemaDrift(t));
    if (t == null || k == null) {
      checks.add(
          Check.notOk("deadLetters", "unknown", "the transformer's or sink's status was not read"));
    } else {
      long n = t.deadLetters() + k.deadLetters();
      String value =
          String.format(
              Locale.ROOT,
              "%d since the stages started (transformer %d, sink %d), %d acknowledged",
              n,
              t.deadLetters(),
              k.deadLetters(),
              limits.acceptedDeadLetters());
      checks.add(
          n <= limits.acceptedDeadLetters()
              ? Check.ok("deadLetters", value)
              : Check.notOk(
                  "deadLetters",
                  value,
                  "records went to the dead-letter topic and are not in Convex: look at them"
                      + " (<prefix>.dlq), repair, then acknowledge them with"
                      + " --accept-dead-letters "
                      + n));
    }
    if (k == null) {
      checks.add(Check.notOk("partitions", "unknown", "the sink's status was not read"));
    } else if (k.assignedPartitions() != limits.partitions()) {
      checks.add(
          Check.notOk(
              "partitions",
              "the sinks own " + k.assignedPartitions() + " of " + limits.partitions(),
              "the barrier waits for every ops partition: give every sink's endpoint"
                  + " (--endpoint), and --partitions as cdc.topic.partitions"));
    } else {
      checks.add(Check.ok("partitions", k.assignedPartitions() + " ops partitions"));
    }
    checks.add(lastVerify(lastVerify, chain.verify(), limits.verifiesEverything()));
    return new ReadinessReport(checks);
  }

  private static Check stages(ChainStatus chain) {
    List<String> problems = new ArrayList<>(chain.unreachable());
    List<String> seen = new ArrayList<>();
    for (String n : List.of("source", "transformer", "sink")) {
      StageStatus s = chain.stages().get(n);
      if (s == null) {
        problems.add(n + " not found");
        continue;
      }
      seen.add(n + " " + s.state());
      if (s.state() != StageState.RUNNING) {
        problems.add(
            n
                + " is "
                + s.state().name().toLowerCase(Locale.ROOT)
                + (s.lastError() != null
                    ? ": " + s.lastError().message()
                    : s.detail() == null ? "" : ": " + s.detail()));
      }
    }
    if (chain.stages().get("source") instanceof SourceStatus src && !src.snapshotFinished()) {
      problems.add("the source's snapshot is still running");
    }
    if (chain.stages().get("sink") instanceof SinkStatus k && k.failingForMs() > 0) {
      problems.add(
          "the sink's Convex calls have failed for "
              + k.failingForMs()
              + " ms"
              + (k.lastError() == null ? "" : " (" + k.lastError().message() + ")"));
    }
    String value = seen.isEmpty() ? "none read" : String.join(", ", seen);
    return problems.isEmpty()
        ? Check.ok("stages", value)
        : Check.notOk(
            "stages",
            value,
            String.join("; ", problems)
                + " (./cdc status shows the chain; give each stage's endpoint with --endpoint)");
  }

  // Under load a child waits for its parent's id for a round trip through Convex: held rows younger
  // than the bound are in flight (the marker rounds wait for them); older ones are orphans.
  private static Check orphans(TransformerStatus t, long orphanAfterMs) {
    if (t == null) {
      return Check.notOk("orphans", "unknown", "the transformer's status was not read");
    }
    if (t.pendingRows() == 0) {
      return Check.ok("orphans", "0 rows held for a parent");
    }
    Long age = t.oldestPendingAgeMs();
    String value =
        t.pendingRows()
            + " rows held for a parent"
            + (age == null ? "" : " (oldest " + age + " ms)");
    if (age == null || age <= orphanAfterMs) {
      return Check.ok("orphans", value + ", in flight");
    }
    return Check.notOk(
        "orphans",
        value,
        "rows wait for a parent that is not in Convex (held longer than --orphan-after-ms "
            + orphanAfterMs
            + "): ./cdc pending lists them; insert the parents or declare the relations optional");
  }

  // A held table's changes are not in Convex and its marker copies wait behind them: no barrier
  // can pass until the mapping follows the DDL.
  private static Check schemaDrift(TransformerStatus t) {
    if (t == null) {
      return Check.notOk("schemaDrift", "unknown", "the transformer's status was not read");
    }
    if (t.heldTables().isEmpty()) {
      return Check.ok("schemaDrift", "no table held");
    }
    String value =
        t.heldTables().stream()
            .map(h -> h.table() + " (" + h.changes() + " changes held)")
            .collect(java.util.stream.Collectors.joining(", "));
    return Check.notOk(
        "schemaDrift",
        value,
        "a table no longer matches the mapping ("
            + t.heldTables().get(0).reason().split("; ", 2)[0]
            + "): regenerate the mapping and the Convex schema, deploy, restart the transformer,"
            + " then check again");
  }

  private static Check lag(ChainStatus chain, long maxLagMs) {
    Long lag = chain.endToEndLagMs();
    if (lag == null) {
      return Check.notOk(
          "endToEndLag", "unknown", "nothing applied in Convex yet: wait for the snapshot");
    }
    String value = lag + " ms (at most " + maxLagMs + " ms)";
    return lag <= maxLagMs
        ? Check.ok("endToEndLag", value)
        : Check.notOk(
            "endToEndLag",
            value,
            "the pipeline is behind: wait until it catches up (./cdc status), or raise"
                + " --max-lag-ms");
  }

  // The newer of the two: the verify a cutover recorded, and the background verification's last
  // complete pass (verify.continuous.enabled, where the pipeline runs it).
  private static Check lastVerify(
      LastVerify v, VerifyStatus background, boolean verifiesEverything) {
    boolean useBackground =
        background != null
            && background.lastPassCompletedAtMs() != null
            && (v == null || background.lastPassCompletedAtMs() >= v.atMs());
    if (!useBackground && v == null) {
      return new Check(
          "lastVerify",
          "none recorded",
          Check.Verdict.UNKNOWN,
          "no cutover, rehearsal or background pass has verified this mirror yet: --verify changed"
              + " verifies everything this time");
    }
    boolean equal = useBackground ? background.clean() : v.equal();
    String value =
        useBackground
            ? (equal
                ? "clean (background verify, " + background.passes() + " passes)"
                : "differences (background verify: "
                    + background.mismatchedRows()
                    + " keys differ "
                    + background.mismatchedByTable()
                    + ")")
            : (equal ? "clean" : "differences") + " (cutover " + v.cutoverId() + ")";
    if (equal) {
      return Check.ok("lastVerify", value);
    }
    if (verifiesEverything) {
      return new Check(
          "lastVerify",
          value,
          Check.Verdict.UNKNOWN,
          "this run verifies everything (--verify full) and records the outcome");
    }
    return Check.notOk(
        "lastVerify",
        value,
        "the last verify found differences: ./cdc verify --repair, then rehearse with"
            + " --freeze none --verify full (which records a clean one)");
  }
}
