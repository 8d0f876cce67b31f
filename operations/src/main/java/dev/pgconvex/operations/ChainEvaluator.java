package dev.pgconvex.operations;

import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one definition of the chain's verdict, from the stages' statuses. Rules, the first that
 * applies wins:
 *
 * <ol>
 *   <li><b>failing</b>: an endpoint did not answer, a stage is missing, a stage is {@code FAILED},
 *       or every Convex call has failed for longer than {@link Thresholds#sinkFailingAfterMs()}
 *       (the reason names the stage and its last error);
 *   <li><b>stalled</b>: the end-to-end lag is above {@link Thresholds#stalledAfterMs()};
 *   <li><b>lagging</b>: a stage is still starting, nothing has been applied yet, the end-to-end lag
 *       is above {@link Thresholds#laggingAfterMs()}, the slot holds more WAL than {@link
 *       Thresholds#slotLagBytes()}, or a table is held for schema drift (its mirror stands still
 *       while the heartbeats, and so the lag, go on);
 *   <li><b>caught up</b> otherwise.
 * </ol>
 *
 * End-to-end lag is measured at the sink: now minus the commit time of the newest change (user row
 * or heartbeat) it knows applied in Convex, on its slowest partition. Pure and thread-safe.
 */
public final class ChainEvaluator {
  private static final List<String> STAGES = List.of("source", "transformer", "sink");

  private final Thresholds thresholds;

  public ChainEvaluator(Thresholds thresholds) {
    this.thresholds = thresholds;
  }

  /**
   * @param stages the statuses that were read, by stage name
   * @param unreachable endpoints that did not answer, with the reason
   * @param nowMs the current time
   */
  public ChainStatus evaluate(
      Map<String, StageStatus> stages, List<String> unreachable, long nowMs) {
    Map<String, StageStatus> ordered = new LinkedHashMap<>();
    STAGES.forEach(
        n -> {
          if (stages.containsKey(n)) {
            ordered.put(n, stages.get(n));
          }
        });
    Long lag = endToEndLagMs(ordered, nowMs);
    List<String> failing = new ArrayList<>(unreachable);
    for (String n : STAGES) {
      StageStatus s = ordered.get(n);
      if (s == null) {
        if (unreachable.isEmpty()) {
          failing.add(n + " not found (give its endpoint with --endpoint)");
        }
      } else if (s.state() == StageState.FAILED || s.state() == StageState.STOPPED) {
        failing.add(
            n
                + " "
                + s.state().name().toLowerCase(java.util.Locale.ROOT)
                + ": "
                + (s.lastError() != null ? s.lastError().message() : s.detail()));
      }
    }
    if (ordered.get("sink") instanceof SinkStatus k
        && k.state() == StageState.RUNNING
        && k.failingForMs() > thresholds.sinkFailingAfterMs()) {
      failing.add(
          "sink: every Convex call has failed for "
              + k.failingForMs() / 1000
              + " s"
              + (k.lastError() == null ? "" : " (" + k.lastError().message() + ")"));
    }
    if (!failing.isEmpty()) {
      return new ChainStatus(
          Verdict.FAILING, String.join("; ", failing), lag, ordered, List.copyOf(unreachable));
    }
    if (lag != null && lag > thresholds.stalledAfterMs()) {
      return new ChainStatus(
          Verdict.STALLED,
          "nothing reached Convex for "
              + lag / 1000
              + " s (above "
              + thresholds.stalledAfterMs() / 1000
              + " s)",
          lag,
          ordered,
          List.of());
    }
    List<String> lagging = new ArrayList<>();
    for (String n : STAGES) {
      if (ordered.get(n).state() == StageState.STARTING) {
        lagging.add(n + " starting: " + ordered.get(n).detail());
      }
    }
    if (lag == null) {
      lagging.add("nothing applied in Convex yet");
    } else if (lag > thresholds.laggingAfterMs()) {
      lagging.add("end-to-end lag " + lag + " ms (above " + thresholds.laggingAfterMs() + " ms)");
    }
    if (ordered.get("source") instanceof SourceStatus src
        && src.slotLagBytes() > thresholds.slotLagBytes()) {
      lagging.add(
          "the slot holds "
              + src.slotLagBytes()
              + " bytes of WAL (above "
              + thresholds.slotLagBytes()
              + ")");
    }
    if (ordered.get("transformer") instanceof TransformerStatus t) {
      for (TransformerStatus.Held h : t.heldTables()) {
        lagging.add(
            h.table()
                + " held for schema drift ("
                + h.changes()
                + " changes since "
                + h.sincePosition()
                + "): ./cdc schema evolve widen");
      }
    }
    if (!lagging.isEmpty()) {
      return new ChainStatus(Verdict.LAGGING, String.join("; ", lagging), lag, ordered, List.of());
    }
    return new ChainStatus(Verdict.CAUGHT_UP, null, lag, ordered, List.of());
  }

  // The sink measures it from heartbeats on every partition (so it grows while a stage upstream
  // stands still, even with the database idle); an older sink without that figure: now minus
  // the newest applied commit time.
  private static Long endToEndLagMs(Map<String, StageStatus> stages, long nowMs) {
    if (!(stages.get("sink") instanceof SinkStatus sink)) {
      return null;
    }
    if (sink.endToEndLagMs() != null) {
      return sink.endToEndLagMs();
    }
    return sink.lastAppliedCommitTs() > 0 ? Math.max(0, nowMs - sink.lastAppliedCommitTs()) : null;
  }
}
