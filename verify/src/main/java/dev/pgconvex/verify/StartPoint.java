package dev.pgconvex.verify;

import java.util.Set;

/**
 * Where Postgres was when the verify began: the WAL position and the snapshot's {@code xmax} and
 * in-progress transactions (their low 32 bits, as {@code xmin} shows them).
 */
record StartPoint(long lsn, long xmax32, Set<Long> xip32) {
  /** Whether a row version written by transaction {@code xmin} is newer than the start. */
  boolean newer(long xmin) {
    return xmin >= 0 && (((xmin - xmax32) & 0xFFFFFFFFL) < 0x80000000L || xip32.contains(xmin));
  }
}
