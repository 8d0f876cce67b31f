package dev.pgconvex.common.model;

import java.util.Locale;

/**
 * Orders every change of one row: {@code <16 hex digits of the WAL LSN>:<8 hex digits of order in
 * the transaction>}, compared as text. Snapshot reads sort before every streamed change. See
 * docs/contracts.md.
 */
public final class Position {
  /** The position of a snapshot read: lower than every streamed change. */
  public static final String SNAPSHOT = of(0L, 0L);

  private Position() {}

  public static String of(long lsn, long orderInTx) {
    return String.format(Locale.ROOT, "%016X:%08X", lsn, orderInTx & 0xFFFFFFFFL);
  }

  /**
   * The lowest position above {@code position}: an operation there beats the change at {@code
   * position} and loses to every later change of the same row (a later WAL record has a higher
   * LSN).
   */
  public static String after(String position) {
    long lsn = lsn(position);
    long order = Long.parseUnsignedLong(position.substring(17), 16);
    return order < 0xFFFFFFFFL ? of(lsn, order + 1) : of(lsn + 1, 0);
  }

  /** The LSN part of a position. */
  public static long lsn(String position) {
    return Long.parseUnsignedLong(position.substring(0, 16), 16);
  }

  /** Postgres' text form of an LSN ({@code 16/B374D848}). */
  public static String lsnText(long lsn) {
    return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
  }

  /** Parses Postgres' text form of an LSN. */
  public static long parseLsn(String text) {
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }
}
