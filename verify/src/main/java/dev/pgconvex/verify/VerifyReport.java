package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of {@link MirrorCheck#run}: per table, the counts and the differing keys.
 *
 * @param tables by Convex table, in verification order
 * @param warnings things the reader should know (the pipeline not applying, lists cut)
 * @param elapsedMs wall time
 * @param rowsCompared Postgres rows compared
 */
public record VerifyReport(
    Map<String, TableResult> tables, List<String> warnings, long elapsedMs, long rowsCompared) {

  /** No table has a difference. */
  public boolean equal() {
    return tables.values().stream().allMatch(TableResult::equal);
  }

  public long rowsPerSecond() {
    return elapsedMs == 0 ? rowsCompared : rowsCompared * 1000 / elapsedMs;
  }

  /** The {@code --json} document (docs/contracts.md, "./cdc verify"). */
  public ObjectNode toJson() {
    ObjectNode o = Json.NODES.objectNode().put("equal", equal());
    ObjectNode t = o.putObject("tables");
    tables.forEach((name, r) -> t.set(name, r.toJson()));
    o.put("rowsCompared", rowsCompared).put("elapsedMs", elapsedMs);
    o.put("rowsPerSecond", rowsPerSecond());
    var w = o.putArray("warnings");
    warnings.forEach(w::add);
    return o;
  }

  /** The human report: a table of counts, then each listed difference, then the verdict. */
  public void print(PrintWriter out) {
    String fmt = "%-24s %10s %11s %7s %10s %8s %6s %9s %8s %8s %9s%n";
    out.printf(
        Locale.ROOT,
        fmt,
        "table",
        "pg rows",
        "convex docs",
        "chunks",
        "mismatched",
        "missing",
        "extra",
        "different",
        "wrongRef",
        "unkeyed",
        "in flight");
    tables.forEach(
        (name, r) ->
            out.printf(
                Locale.ROOT,
                fmt,
                name,
                n(r.pgRows()),
                n(r.convexDocs()),
                n(r.chunks()),
                n(r.mismatchedChunks()),
                n(r.count(Finding.Kind.MISSING)),
                n(r.count(Finding.Kind.EXTRA)),
                n(r.count(Finding.Kind.DIFFERENT)),
                n(r.count(Finding.Kind.WRONG_REF)),
                n(r.count(Finding.Kind.UNKEYED)),
                n(r.inFlightCount())));
    tables.forEach(
        (name, r) -> {
          for (Finding f : r.findings()) {
            out.printf(
                Locale.ROOT,
                "%s %s: %s%n",
                name,
                f.key() == null ? "(no key)" : f.key(),
                f.describe());
          }
          for (String k : r.inFlight()) {
            out.printf(
                Locale.ROOT,
                "%s %s: in flight (changed during the verify, not settled in time)%n",
                name,
                k);
          }
        });
    warnings.forEach(w -> out.println("warning: " + w));
    out.printf(
        Locale.ROOT,
        "verdict: %s (%s rows compared in %.1f s, %s rows/s)%n",
        equal() ? "equal" : "DIFFERENT",
        n(rowsCompared),
        elapsedMs / 1000.0,
        n(rowsPerSecond()));
    out.flush();
  }

  private static String n(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }
}
