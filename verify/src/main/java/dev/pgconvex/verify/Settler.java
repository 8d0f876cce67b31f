package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Position;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settles the keys a chunk pass found different on a live database: each is re-checked once the
 * pipeline has applied past the Postgres position of its re-read (the sink checkpoint in Convex),
 * within the settle timeout. A key is a difference only if it still differs then, with its row
 * unchanged, for at least {@link #GRACE}; it is {@code in flight} if it changed during the verify
 * and never settled. Not thread-safe.
 */
final class Settler {
  /**
   * How long a difference must last, with the pipeline applied past its row, before it counts
   * (unless the settle timeout is shorter): a row held for its parent, or on its way through a
   * repartition topic, can land after the checkpoint passed it.
   */
  static final Duration GRACE = Duration.ofSeconds(5);

  private static final Duration POLL = Duration.ofMillis(200);

  private final MirrorCheck.Connector pg;
  private final ConvexSide convex;
  private final Duration settleTimeout;

  Settler(MirrorCheck.Connector pg, ConvexSide convex, Duration settleTimeout) {
    this.pg = pg;
    this.convex = convex;
    this.settleTimeout = settleTimeout;
  }

  long deadline() {
    return System.nanoTime() + settleTimeout.toNanos();
  }

  /**
   * Settles {@code candidates} of {@code t} into {@code acc}.
   *
   * @param applying whether the pipeline was found applying at the start (else nothing is waited
   *     for: every candidate is re-read once)
   */
  void settle(
      TableMapping t,
      TableKey tk,
      List<Candidate> candidates,
      TableAccumulator acc,
      StartPoint start,
      boolean applying)
      throws SQLException, InterruptedException {
    long deadline = deadline();
    long grace = Math.min(GRACE.toNanos(), settleTimeout.toNanos());
    List<Candidate> pending = new ArrayList<>(candidates);
    try (Connection c = pg.open()) {
      while (!pending.isEmpty()) {
        List<Candidate> next = new ArrayList<>();
        for (List<Candidate> batch : MirrorCheck.batches(pending, MirrorCheck.KEY_BATCH)) {
          List<String> keys = batch.stream().map(cd -> cd.finding.key()).toList();
          Map<String, PgRow> rows = PostgresSide.readRows(c, t, tk, keys);
          long lsn = PostgresSide.currentLsn(c);
          boolean reached = applying && awaitApplied(lsn, deadline, null);
          Map<String, JsonNode> docs = convex.keyDocs(t.target(), keys, true);
          Map<String, Map<String, String>> ids = convex.parentIds(t, rows.values(), false);
          for (Candidate cd : batch) {
            String key = cd.finding.key();
            PgRow row = rows.get(key);
            JsonNode entry = docs.get(key);
            Finding f = KeyComparison.classify(t, key, row, entry, ids);
            String position = entry == null ? null : entry.path("position").asText(null);
            boolean pgSame =
                Objects.equals(KeyComparison.rowState(row), KeyComparison.rowState(cd.row));
            cd.changed |=
                !pgSame
                    || !Objects.equals(position, cd.position)
                    || (row != null && start.newer(row.xmin()))
                    || (position != null && position.compareTo(Position.of(start.lsn(), 0)) >= 0);
            if (f == null) {
              continue; // settled: equal now
            }
            if (reached && pgSame && System.nanoTime() - cd.firstSeenNanos >= grace) {
              acc.confirmed(f);
              continue;
            }
            cd.finding = f;
            cd.row = row;
            cd.position = position;
            next.add(cd);
          }
        }
        pending = next;
        if (!applying || System.nanoTime() >= deadline) {
          break;
        }
        if (!pending.isEmpty()) {
          Thread.sleep(POLL.toMillis());
        }
      }
    }
    for (Candidate cd : pending) {
      if (cd.changed) {
        acc.inFlight(cd.finding.key());
      } else {
        acc.confirmed(cd.finding);
      }
    }
  }

  /**
   * Waits until the sink checkpoint in Convex has passed {@code lsn} or {@code deadline}; with
   * {@code warnings}, says why not.
   */
  boolean awaitApplied(long lsn, long deadline, List<String> warnings) throws InterruptedException {
    String need = Position.of(lsn, 0);
    String last;
    while (true) {
      last = convex.checkpoint();
      if (last != null && last.compareTo(need) >= 0) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(POLL.toMillis());
    }
    if (warnings != null) {
      String source = convex.checkpointSource();
      warnings.add(
          last == null
              ? "no sink checkpoint in Convex"
                  + (source == null ? "" : " for source '" + source + "'")
                  + ": is the pipeline running? Differences are reported without waiting for it"
              : "the pipeline did not apply up to the start position "
                  + Position.lsnText(lsn)
                  + " within "
                  + settleTimeout.toSeconds()
                  + " s (checkpoint "
                  + Position.lsnText(Position.lsn(last))
                  + "): is it running? Differences are reported without waiting for it");
    }
    return false;
  }
}
