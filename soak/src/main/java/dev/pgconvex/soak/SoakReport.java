package dev.pgconvex.soak;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The soak's results: a table per round and the totals for people, {@code --json} for scripts.
 *
 * <p>JSON: {@code {"seed", "passed", "rounds": [{round, fault, kills, changes, lost, duplicated,
 * different, extra, wrongRefs, convergeSeconds, converged, note?}], "totals": {rounds, kills,
 * changes, lost, duplicated, different, extra, wrongRefs, maxConvergeSeconds}, "reproduce"?}}
 * ({@code reproduce}, the command line that replays a failed run, only when it failed).
 *
 * @param seed the run's seed
 * @param rounds in order
 * @param reproduce the command line to run the same plan again
 */
public record SoakReport(long seed, List<RoundResult> rounds, String reproduce) {
  public SoakReport {
    rounds = List.copyOf(rounds);
  }

  /** Every round clean (and at least one ran). */
  public boolean passed() {
    return !rounds.isEmpty() && rounds.stream().allMatch(RoundResult::clean);
  }

  public long totalChanges() {
    return rounds.stream().mapToLong(RoundResult::changes).sum();
  }

  public ObjectNode toJson() {
    ObjectNode o = Json.NODES.objectNode().put("seed", seed).put("passed", passed());
    ArrayNode a = o.putArray("rounds");
    for (RoundResult r : rounds) {
      ObjectNode j =
          a.addObject()
              .put("round", r.round())
              .put("fault", r.fault())
              .put("kills", r.kills())
              .put("changes", r.changes())
              .put("lost", r.lost())
              .put("duplicated", r.duplicated())
              .put("different", r.different())
              .put("extra", r.extra())
              .put("wrongRefs", r.wrongRefs())
              .put("convergeSeconds", round1(r.convergeSeconds()))
              .put("converged", r.converged());
      if (r.note() != null) {
        j.put("note", r.note());
      }
    }
    o.putObject("totals")
        .put("rounds", rounds.size())
        .put("kills", rounds.stream().mapToLong(RoundResult::kills).sum())
        .put("changes", totalChanges())
        .put("lost", sum(RoundResult::lost))
        .put("duplicated", sum(RoundResult::duplicated))
        .put("different", sum(RoundResult::different))
        .put("extra", sum(RoundResult::extra))
        .put("wrongRefs", sum(RoundResult::wrongRefs))
        .put(
            "maxConvergeSeconds",
            round1(rounds.stream().mapToDouble(RoundResult::convergeSeconds).max().orElse(0)));
    if (!passed()) {
      o.put("reproduce", reproduce);
    }
    return o;
  }

  /** The table, the totals and the verdict (with the seed and command to reproduce a failure). */
  public void print(PrintWriter out) {
    String fmt = "%5s  %-38s %5s %9s %5s %6s %9s %5s %10s %9s%n";
    out.printf(
        Locale.ROOT,
        fmt,
        "round",
        "fault",
        "kills",
        "changes",
        "lost",
        "dupl.",
        "different",
        "extra",
        "wrong refs",
        "converge");
    for (RoundResult r : rounds) {
      out.printf(
          Locale.ROOT,
          fmt,
          r.round(),
          r.fault(),
          r.kills(),
          n(r.changes()),
          n(r.lost()),
          n(r.duplicated()),
          n(r.different()),
          n(r.extra()),
          n(r.wrongRefs()),
          r.converged()
              ? String.format(Locale.ROOT, "%.1f s", r.convergeSeconds())
              : String.format(Locale.ROOT, ">%.0f s", r.convergeSeconds()));
    }
    out.printf(
        Locale.ROOT,
        fmt,
        "total",
        rounds.size() + " rounds",
        rounds.stream().mapToLong(RoundResult::kills).sum(),
        n(totalChanges()),
        n(sum(RoundResult::lost)),
        n(sum(RoundResult::duplicated)),
        n(sum(RoundResult::different)),
        n(sum(RoundResult::extra)),
        n(sum(RoundResult::wrongRefs)),
        String.format(
            Locale.ROOT,
            "max %.1f s",
            rounds.stream().mapToDouble(RoundResult::convergeSeconds).max().orElse(0)));
    for (RoundResult r : rounds) {
      if (r.note() != null) {
        out.printf(Locale.ROOT, "round %d: %s%n", r.round(), r.note());
      }
    }
    if (passed()) {
      out.printf(
          Locale.ROOT, "verdict: PASSED (seed %d): nothing lost, duplicated or different%n", seed);
    } else {
      out.printf(Locale.ROOT, "verdict: FAILED (seed %d); reproduce with: %s%n", seed, reproduce);
    }
    out.flush();
  }

  private long sum(java.util.function.ToLongFunction<RoundResult> f) {
    return rounds.stream().mapToLong(f).sum();
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static String n(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }
}
