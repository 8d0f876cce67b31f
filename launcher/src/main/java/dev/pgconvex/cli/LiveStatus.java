package dev.pgconvex.cli;

import dev.pgconvex.cli.pipeline.Pipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's status block: per table Postgres rows against Convex documents, then what the stages
 * did, with rates since the last block, the end-to-end lag and the alerts. Every figure says what
 * it counts. Not thread-safe.
 */
final class LiveStatus {
  private final Pipeline pipeline;
  private long lastAtMs;
  private long lastCaptured;
  private long lastApplied;

  LiveStatus(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  /**
   * @param counts per table {@code [postgres rows, convex documents]}
   */
  List<String> render(Map<String, long[]> counts) {
    Pipeline.Progress p = pipeline.progress();
    long now = System.currentTimeMillis();
    double seconds = lastAtMs == 0 ? 0 : (now - lastAtMs) / 1000.0;
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(Locale.ROOT, "  %-14s %14s %14s", "table", "postgres rows", "convex docs"));
    counts.forEach(
        (t, c) ->
            lines.add(
                String.format(
                    Locale.ROOT,
                    "  %-14s %14s %14s%s",
                    t,
                    Numbers.count(c[0]),
                    Numbers.count(c[1]),
                    c[0] == c[1]
                        ? ""
                        : c[1] < c[0]
                            ? "   (" + Numbers.count(c[0] - c[1]) + " to go)"
                            : "   (" + Numbers.count(c[1] - c[0]) + " extra)")));
    lines.add(
        String.format(
            Locale.ROOT,
            "  read from Postgres %s changes%s | applied in Convex %s ops%s",
            Numbers.count(p.captured()),
            rate(p.captured() - lastCaptured, seconds),
            Numbers.count(p.applied()),
            rate(p.applied() - lastApplied, seconds)));
    lines.add(
        String.format(
            Locale.ROOT,
            "  waiting for a parent %s rows | end-to-end lag %s | alerts: %s",
            Numbers.count(p.pendingRows()),
            p.lagMs().isPresent() ? Numbers.millis(p.lagMs().getAsLong()) : "unknown",
            p.alertsText()));
    lastAtMs = now;
    lastCaptured = p.captured();
    lastApplied = p.applied();
    return lines;
  }

  private static String rate(long delta, double seconds) {
    return seconds <= 0 ? "" : " (" + Numbers.count(Math.round(delta / seconds)) + "/s)";
  }

  /** Figures for people: 1,234, 12.3k, 1.2M; 350 ms, 2.1 s, 3 min. */
  static final class Numbers {
    private Numbers() {}

    static String count(long n) {
      if (Math.abs(n) < 10_000) {
        return String.format(Locale.ROOT, "%,d", n);
      }
      if (Math.abs(n) < 1_000_000) {
        return String.format(Locale.ROOT, "%.1fk", n / 1000.0);
      }
      return String.format(Locale.ROOT, "%.1fM", n / 1_000_000.0);
    }

    static String millis(long ms) {
      if (ms < 1000) {
        return ms + " ms";
      }
      if (ms < 60_000) {
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
      }
      return (ms / 60_000) + " min";
    }
  }
}
