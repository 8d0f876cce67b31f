package dev.pgconvex.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one table while it is verified, shared by the chunk workers: counts, the
 * candidates still to settle, and the differences found (at most {@code maxListed} listed per
 * class; the counts go on). Thread-safe.
 */
final class TableAccumulator {
  private final String table;
  private final int maxListed;
  private long pgRows;
  private long convexDocs;
  private long chunks;
  private long mismatchedChunks;
  private final List<Candidate> candidates = new ArrayList<>();
  private final Map<Finding.Kind, List<Finding>> found = new LinkedHashMap<>();
  private final Map<Finding.Kind, Long> counts = new LinkedHashMap<>();
  private final List<String> inFlight = new ArrayList<>();
  private long inFlightCount;
  private boolean truncated;
  private TableResult.UnkeyedCheck unkeyedCheck = TableResult.UnkeyedCheck.WALK;

  TableAccumulator(String table, int maxListed) {
    this.table = table;
    this.maxListed = maxListed;
    for (Finding.Kind k : Finding.Kind.values()) {
      found.put(k, new ArrayList<>());
      counts.put(k, 0L);
    }
  }

  synchronized void chunk(long rows, long docs) {
    pgRows += rows;
    convexDocs += docs;
    chunks++;
  }

  /** The keys of one chunk found different, to settle. */
  synchronized void mismatched(List<Candidate> keys) {
    if (keys.isEmpty()) {
      return; // hashes differed by a normalisation only the full comparison can see: none
    }
    mismatchedChunks++;
    for (Candidate c : keys) {
      if (candidates.size() < maxListed * 4L) {
        candidates.add(c);
      } else {
        confirmed(c.finding); // too many to re-check one by one
      }
    }
  }

  synchronized List<Candidate> takeCandidates() {
    List<Candidate> out = new ArrayList<>(candidates);
    candidates.clear();
    return out;
  }

  synchronized void confirmed(Finding f) {
    counts.merge(f.kind(), 1L, Long::sum);
    List<Finding> list = found.get(f.kind());
    if (list.size() < maxListed) {
      list.add(f);
    } else {
      truncated = true;
    }
  }

  synchronized void inFlight(String key) {
    inFlightCount++;
    if (inFlight.size() < maxListed) {
      inFlight.add(key);
    }
  }

  synchronized long convexDocs() {
    return convexDocs;
  }

  synchronized void unkeyedCheck(TableResult.UnkeyedCheck how) {
    unkeyedCheck = how;
  }

  /** Whether a list was cut at {@code maxListed}. */
  synchronized boolean truncated() {
    return truncated;
  }

  synchronized TableResult result() {
    for (List<Finding> l : found.values()) {
      l.sort(
          Comparator.comparing(Finding::key, Comparator.nullsFirst(Comparator.naturalOrder()))
              .thenComparing(Finding::docId, Comparator.nullsFirst(Comparator.naturalOrder())));
    }
    return new TableResult(
        table,
        pgRows,
        convexDocs,
        chunks,
        mismatchedChunks,
        Map.copyOf(counts),
        found.get(Finding.Kind.MISSING),
        found.get(Finding.Kind.EXTRA),
        found.get(Finding.Kind.DIFFERENT),
        found.get(Finding.Kind.WRONG_REF),
        found.get(Finding.Kind.UNKEYED),
        unkeyedCheck,
        inFlight,
        inFlightCount);
  }
}
