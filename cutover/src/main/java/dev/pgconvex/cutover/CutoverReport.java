package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * What a cutover did: the interface of {@code ./cdc cutover --json} (docs/contracts.md, "Cutover
 * report") and its human form.
 *
 * @param result the outcome
 * @param cutoverId the cutover's id (also in {@code cdc_cutovers})
 * @param freeze the freeze mode
 * @param pauseMs the write pause: freeze asked for (a lock queues new writers while it waits for
 *     the running ones) to freeze released; 0 for {@code none}, null when no freeze was asked for
 * @param markerLsn the LSN of the marker that drained ({@code 0/1A2B3C8}), null when none did
 * @param markerRounds markers sent (more than one when rows were held for a parent)
 * @param hops where the marker's time went, null when none drained
 * @param steps the timeline
 * @param checks the readiness checks
 * @param failedStep the step that failed (null unless aborted or not ready)
 * @param reason why it aborted or is not ready, one line (null otherwise)
 * @param warnings what went wrong without changing the result (a state record that failed)
 */
public record CutoverReport(
    Result result,
    String cutoverId,
    FreezeMode freeze,
    Long pauseMs,
    String markerLsn,
    int markerRounds,
    Hop hops,
    List<Step> steps,
    List<Check> checks,
    String failedStep,
    String reason,
    List<String> warnings) {

  /** The one word. */
  public enum Result {
    /** Every step passed: the switch is recorded, the freeze released. */
    SWITCHED("switched"),
    /**
     * A rehearsal ({@code --freeze none} without {@code --on-frozen}) passed every step; nothing
     * was switched.
     */
    REHEARSED("rehearsed"),
    /** A step failed, timed out or was interrupted: released, Postgres stays primary. */
    ABORTED("aborted"),
    /** {@code --check}: every check passed. */
    READY("ready"),
    /** A check failed: nothing was done. */
    NOT_READY("not ready");

    private final String word;

    Result(String word) {
      this.word = word;
    }

    /** The JSON form. */
    public String word() {
      return word;
    }
  }

  public CutoverReport {
    steps = List.copyOf(steps);
    checks = List.copyOf(checks);
    warnings = List.copyOf(warnings);
  }

  /** 0 switched, rehearsed or ready, 1 otherwise. */
  public int exitCode() {
    return result == Result.SWITCHED || result == Result.REHEARSED || result == Result.READY
        ? 0
        : 1;
  }

  /**
   * The JSON object: at least {@code result}, {@code pauseMs}, {@code markerLsn}, {@code steps}.
   */
  public ObjectNode toJson() {
    ObjectNode o = Json.NODES.objectNode().put("result", result.word()).put("cutoverId", cutoverId);
    o.put("freeze", freeze.word());
    if (pauseMs == null) {
      o.putNull("pauseMs");
    } else {
      o.put("pauseMs", pauseMs);
    }
    if (markerLsn == null) {
      o.putNull("markerLsn");
    } else {
      o.put("markerLsn", markerLsn);
    }
    o.put("markerRounds", markerRounds);
    if (hops == null) {
      o.putNull("hops");
    } else {
      o.set("hops", hops.toJson());
    }
    ArrayNode s = o.putArray("steps");
    steps.forEach(st -> s.add(st.toJson()));
    ArrayNode c = o.putArray("checks");
    checks.forEach(ch -> c.add(ch.toJson()));
    if (failedStep == null) {
      o.putNull("failedStep");
    } else {
      o.put("failedStep", failedStep);
    }
    if (reason == null) {
      o.putNull("reason");
    } else {
      o.put("reason", reason);
    }
    ArrayNode w = o.putArray("warnings");
    warnings.forEach(w::add);
    return o;
  }

  /** The human report: checks, the timeline, the pause, the marker, the result. */
  public void print(PrintWriter out) {
    for (Check c : checks) {
      out.printf(
          Locale.ROOT,
          "check  %-12s %-7s %s%s%n",
          c.name(),
          c.verdict().word(),
          c.value(),
          c.reason() == null ? "" : " -- " + c.reason());
    }
    for (Step s : steps) {
      out.printf(
          Locale.ROOT,
          "step   %-12s %-9s %6d ms  %s%n",
          s.name(),
          s.outcome().word(),
          s.ms(),
          s.detail());
    }
    warnings.forEach(w -> out.println("warning: " + w));
    if (pauseMs != null) {
      out.printf(Locale.ROOT, "write pause: %d ms (%s)%n", pauseMs, freeze.word());
    }
    if (markerLsn != null) {
      out.printf(
          Locale.ROOT,
          "marker: LSN %s, %d round%s%s%n",
          markerLsn,
          markerRounds,
          markerRounds == 1 ? "" : "s",
          hops == null ? "" : ", " + hops.describe());
    }
    out.println(
        "result: "
            + result.word()
            + (reason == null
                ? ""
                : " (" + (failedStep == null ? "" : failedStep + ": ") + reason + ")"));
    out.flush();
  }
}
