package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.cutover.barrier.Marker;
import dev.pgconvex.cutover.barrier.MarkerProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One cutover, step by step: readiness, freeze, marker barrier (rounds until drained), verify,
 * {@code --on-frozen}, {@code --on-switched}, switch recorded in Convex, release. Any failure,
 * timeout or cancellation at any step releases the freeze, records {@code aborted} and reports the
 * step and the reason: Postgres stays primary. The whole frozen stretch (freeze to release) is
 * bounded by {@link Plan#maxPause}.
 *
 * <p>Every part it talks to is an interface ({@link Parts}), so the abort paths are tested with
 * fakes. One {@link #run} per instance; not thread-safe apart from the cancellation flag it polls.
 */
public final class Cutover {
  /**
   * What to do.
   *
   * @param cutoverId unique id, also the marker id prefix ({@code <id>/<round>})
   * @param pipeline {@code cdc.topic.prefix}
   * @param maxPause the longest the freeze may be held (and the drain may take)
   * @param freezeTimeout how long taking the freeze may wait for running writers
   * @param verify what to verify once drained
   * @param onFrozen command run while frozen once everything is proven (null: none)
   * @param onSwitched command run after it, still frozen (null: none)
   * @param hookTimeout the longest a hook may run
   */
  public record Plan(
      String cutoverId,
      String pipeline,
      Duration maxPause,
      Duration freezeTimeout,
      VerifyMode verify,
      String onFrozen,
      String onSwitched,
      Duration hookTimeout) {}

  /** Reads the readiness checks. */
  @FunctionalInterface
  public interface ReadinessProbe {
    ReadinessReport read() throws Exception;
  }

  /**
   * What it talks to.
   *
   * @param readiness the checks
   * @param freeze the freeze (its mode is the cutover's)
   * @param markers the barrier
   * @param verifier the verify step
   * @param hooks runs the hook commands
   * @param store the state in Convex
   * @param cancelled true once SIGINT/SIGTERM arrived
   * @param listener told of each step as it ends
   */
  public record Parts(
      ReadinessProbe readiness,
      Freeze freeze,
      MarkerPort markers,
      MirrorVerify verifier,
      Hooks hooks,
      CutoverStore store,
      BooleanSupplier cancelled,
      Consumer<Step> listener) {}

  private final Plan plan;
  private final Parts parts;
  private final Timeline timeline;
  private final List<String> warnings = new ArrayList<>();
  private ReadinessReport readiness = new ReadinessReport(List.of());
  private Long frozenAt;
  private Long pauseMs;
  private long deadline;
  private Marker drainedMarker;
  private int rounds;
  private long heldAtMarker;
  private Hop hops;

  public Cutover(Plan plan, Parts parts) {
    this.plan = plan;
    this.parts = parts;
    this.timeline = new Timeline(System::nanoTime, parts.listener());
  }

  /** A step ended without success: the cutover aborts with this outcome and reason. */
  private static final class Abort extends Exception {
    final Step.Outcome outcome;

    Abort(Step.Outcome outcome, String reason) {
      super(reason, null, false, false);
      this.outcome = outcome;
    }
  }

  /**
   * Runs the cutover (or, with {@code checkOnly}, only the readiness checks).
   *
   * @return the report; never throws
   */
  public CutoverReport run(boolean checkOnly) {
    timeline.begin("readiness");
    try {
      readiness = parts.readiness().read();
    } catch (Exception e) {
      String why = "the checks could not be read: " + oneLine(e);
      timeline.end(Step.Outcome.FAILED, why);
      return report(CutoverReport.Result.NOT_READY, "readiness", why);
    }
    if (!readiness.ready()) {
      timeline.end(Step.Outcome.FAILED, readiness.reasons());
      return report(CutoverReport.Result.NOT_READY, "readiness", readiness.reasons());
    }
    timeline.end(Step.Outcome.OK, readiness.checks().size() + " checks passed");
    if (checkOnly) {
      return report(CutoverReport.Result.READY, null, null);
    }
    try {
      switchOver();
      return report(
          rehearsal() ? CutoverReport.Result.REHEARSED : CutoverReport.Result.SWITCHED, null, null);
    } catch (Abort a) {
      return abort(a);
    }
  }

  private void switchOver() throws Abort {
    FreezeMode mode = parts.freeze().mode();
    note(
        CutoverStore.State.READY,
        fields().put("freeze", mode.word()).put("verifyMode", plan.verify().word()));
    cancelPoint();

    timeline.begin("freeze");
    note(CutoverStore.State.FREEZING, fields());
    // The pause starts when the freeze is asked for: while a lock waits for the writers before it,
    // new writers already queue behind it.
    frozenAt = System.nanoTime();
    deadline = frozenAt + plan.maxPause().toNanos();
    String frozen = step(() -> parts.freeze().acquire(min(plan.freezeTimeout(), plan.maxPause())));
    timeline.end(Step.Outcome.OK, frozen);
    cancelPoint();

    timeline.begin("drain");
    note(CutoverStore.State.DRAINING, fields());
    drain();
    timeline.end(
        Step.Outcome.OK,
        "marker "
            + drainedMarker.id()
            + " at "
            + drainedMarker.lsnText()
            + " confirmed on every partition"
            + (rounds > 1 ? " after " + rounds + " rounds (rows were held for a parent)" : "")
            + (heldAtMarker > 0
                ? " (no freeze: " + heldAtMarker + " rows were held for a parent)"
                : "")
            + (hops == null ? "" : ": " + hops.describe()));
    cancelPoint();

    timeline.begin("verify");
    verify(mode);
    cancelPoint();

    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGCONVEX_CUTOVER_ID", plan.cutoverId());
    env.put("PGCONVEX_PIPELINE", plan.pipeline());
    env.put("PGCONVEX_MARKER_LSN", drainedMarker.lsnText());
    env.put("PGCONVEX_FREEZE", mode.word());
    hook("on-frozen", plan.onFrozen(), env);
    hook("on-switched", plan.onSwitched(), env);

    CutoverStore.State done =
        rehearsal() ? CutoverStore.State.REHEARSED : CutoverStore.State.SWITCHED;
    timeline.begin("record");
    try {
      parts
          .store()
          .record(plan.cutoverId(), done, fields().put("markerLsn", drainedMarker.lsnText()));
    } catch (Exception e) {
      throw new Abort(
          Step.Outcome.FAILED,
          "the " + done.word() + " state could not be recorded in Convex: " + oneLine(e));
    }
    timeline.end(Step.Outcome.OK, done.word() + ", recorded in cdc_cutovers");

    release();
    if (pauseMs != null) {
      note(done, fields().put("pauseMs", pauseMs));
    }
  }

  // --freeze none without a hook that switches the application: a rehearsal, nothing switched.
  private boolean rehearsal() {
    return parts.freeze().mode() == FreezeMode.NONE
        && (plan.onFrozen() == null || plan.onFrozen().isBlank());
  }

  private void drain() throws Abort {
    int partitions = 0;
    while (true) {
      rounds++;
      Marker m = step(() -> parts.markers().emit(plan.cutoverId() + "/" + rounds));
      MarkerProgress p = step(() -> parts.markers().await(m, remaining(), parts.cancelled()));
      partitions = p.partitions();
      if (parts.cancelled().getAsBoolean() && !p.complete()) {
        throw cancelled();
      }
      if (!p.complete()) {
        String missing =
            IntStream.range(0, partitions)
                .filter(i -> !p.confirmed().containsKey(i))
                .mapToObj(Integer::toString)
                .collect(Collectors.joining(", "));
        throw new Abort(
            Step.Outcome.TIMEOUT,
            "marker "
                + m.id()
                + " at "
                + m.lsnText()
                + " was confirmed on "
                + p.confirmed().size()
                + " of "
                + partitions
                + " ops partitions within --max-pause-s "
                + plan.maxPause().toSeconds()
                + " s (missing: "
                + missing
                + "): is every stage running and the sink writing to Convex? (./cdc status)");
      }
      // Without a freeze writes go on, and under load some rows are always held for a parent:
      // a rehearsal measures the path and takes the first complete marker.
      if (p.drained() || parts.freeze().mode() == FreezeMode.NONE) {
        drainedMarker = m;
        hops = Hop.of(p);
        heldAtMarker = p.held();
        return;
      }
      if (remaining().isZero()) {
        throw new Abort(
            Step.Outcome.TIMEOUT,
            "rows were still held for a parent (up to "
                + p.held()
                + ") after "
                + rounds
                + " markers within --max-pause-s "
                + plan.maxPause().toSeconds()
                + " s: ./cdc pending lists them");
      }
    }
  }

  private void verify(FreezeMode mode) throws Abort {
    if (plan.verify() == VerifyMode.NONE) {
      timeline.end(Step.Outcome.SKIPPED, "--verify none");
      return;
    }
    note(CutoverStore.State.VERIFYING, fields());
    boolean frozenNow = mode != FreezeMode.NONE;
    Long baseline = frozenNow ? drainedMarker.lsn() : step(() -> parts.verifier().quietLsn());
    Readiness.LastVerify last = step(() -> parts.store().lastVerify());
    Long since =
        plan.verify() == VerifyMode.CHANGED && last != null && last.equal()
            ? last.baselineLsn()
            : null;
    MirrorVerify.Result r =
        step(
            () ->
                parts
                    .verifier()
                    .verify(plan.verify(), since, frozenNow, remaining(), parts.cancelled()));
    ObjectNode v =
        fields()
            .put("mode", plan.verify().word())
            .put("equal", r.equal())
            .put("differences", r.count())
            .put("scope", r.scope());
    if (r.equal() && baseline != null) {
      v.put("baselineLsn", baseline);
    }
    note(CutoverStore.State.VERIFYING, fields().set("verify", v));
    if (!r.equal()) {
      throw new Abort(
          Step.Outcome.FAILED,
          r.count()
              + " differences ("
              + String.join("; ", r.differences())
              + "): ./cdc verify lists them, --repair fixes them");
    }
    timeline.end(
        Step.Outcome.OK,
        r.scope()
            + ": equal"
            + (baseline == null
                ? " (writes were going on: the next --verify changed compares everything)"
                : ""));
  }

  private void hook(String name, String command, Map<String, String> env) throws Abort {
    if (command == null || command.isBlank()) {
      return;
    }
    timeline.begin(name);
    Duration t = min(plan.hookTimeout(), remaining());
    try {
      parts.hooks().run(name, command, env, t, parts.cancelled());
    } catch (InterruptedException e) {
      throw cancelled();
    } catch (CutoverException e) {
      if (parts.cancelled().getAsBoolean()) {
        throw cancelled();
      }
      throw new Abort(
          e.getMessage().contains("timed out") ? Step.Outcome.TIMEOUT : Step.Outcome.FAILED,
          e.getMessage());
    }
    timeline.end(Step.Outcome.OK, "exited 0");
  }

  private void release() {
    timeline.begin("release");
    String problem = parts.freeze().release();
    if (frozenAt != null) {
      pauseMs =
          parts.freeze().mode() == FreezeMode.NONE
              ? 0L
              : (System.nanoTime() - frozenAt) / 1_000_000;
    }
    if (problem == null) {
      timeline.end(
          Step.Outcome.OK,
          parts.freeze().mode() == FreezeMode.NONE
              ? "nothing was frozen"
              : "writes accepted again");
    } else {
      timeline.end(Step.Outcome.FAILED, problem);
      warnings.add("the freeze was NOT released: " + problem);
    }
  }

  private CutoverReport abort(Abort a) {
    boolean interrupted = Thread.interrupted(); // release and record must not be cut short
    String step = timeline.current();
    if (step == null) {
      step = "cutover";
    }
    timeline.end(a.outcome, a.getMessage());
    release();
    ObjectNode f = fields().put("step", step).put("reason", a.getMessage());
    if (pauseMs != null) {
      f.put("pauseMs", pauseMs);
    }
    note(CutoverStore.State.ABORTED, f);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return report(CutoverReport.Result.ABORTED, step, a.getMessage());
  }

  private CutoverReport report(CutoverReport.Result result, String step, String reason) {
    return new CutoverReport(
        result,
        plan.cutoverId(),
        parts.freeze().mode(),
        pauseMs,
        drainedMarker == null ? null : drainedMarker.lsnText(),
        rounds,
        hops,
        timeline.steps(),
        readiness.checks(),
        step,
        reason,
        warnings);
  }

  // A state record the application can watch; failing to write it does not stop the cutover
  // (only the switch itself must be recorded), it is reported as a warning.
  private void note(CutoverStore.State state, ObjectNode f) {
    try {
      parts.store().record(plan.cutoverId(), state, f);
    } catch (Exception e) {
      warnings.add("state " + state.word() + " not recorded in Convex: " + oneLine(e));
    }
  }

  private interface Action<T> {
    T run() throws Exception;
  }

  // Runs a step's action: a failure aborts the cutover at this step.
  private <T> T step(Action<T> a) throws Abort {
    try {
      return a.run();
    } catch (InterruptedException e) {
      throw cancelled();
    } catch (CutoverException e) {
      throw new Abort(
          parts.cancelled().getAsBoolean() ? Step.Outcome.CANCELLED : Step.Outcome.FAILED,
          e.getMessage());
    } catch (Exception e) {
      if (parts.cancelled().getAsBoolean()) {
        throw cancelled();
      }
      throw new Abort(Step.Outcome.FAILED, oneLine(e));
    }
  }

  private void cancelPoint() throws Abort {
    if (parts.cancelled().getAsBoolean()) {
      throw cancelled();
    }
    if (frozenAt != null && remaining().isZero()) {
      throw new Abort(
          Step.Outcome.TIMEOUT,
          "the write pause reached --max-pause-s " + plan.maxPause().toSeconds() + " s");
    }
  }

  private Abort cancelled() {
    return new Abort(Step.Outcome.CANCELLED, "interrupted (SIGINT or SIGTERM)");
  }

  private Duration remaining() {
    if (frozenAt == null) {
      return plan.maxPause();
    }
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static ObjectNode fields() {
    return Json.NODES.objectNode();
  }

  /** One line naming what failed: the innermost message. */
  static String oneLine(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql) {
        return "Postgres: " + sql.getMessage();
      }
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m;
  }
}
