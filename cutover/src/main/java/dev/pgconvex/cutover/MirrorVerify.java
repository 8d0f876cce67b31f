package dev.pgconvex.cutover;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** The verify step of a cutover (in production {@link ChunkedMirrorVerify}). */
public interface MirrorVerify {
  /**
   * What a verify found.
   *
   * @param equal no difference
   * @param scope what was compared, in words ({@code 1,234 changed keys in 3 tables})
   * @param differences the first differences, {@code table [key]: what}, at most a few
   * @param count how many differences
   */
  record Result(boolean equal, String scope, java.util.List<String> differences, long count) {}

  /**
   * Compares Convex with Postgres.
   *
   * @param mode {@link VerifyMode#CHANGED} or {@link VerifyMode#FULL}
   * @param sinceLsn with {@code CHANGED}: the baseline of the last clean verify; null means none is
   *     known, and everything is compared
   * @param frozen whether writes are frozen (then nothing is in flight: a difference counts at
   *     once)
   * @param timeout the time left
   */
  Result verify(
      VerifyMode mode, Long sinceLsn, boolean frozen, Duration timeout, BooleanSupplier cancelled)
      throws Exception;

  /**
   * A WAL position such that every change of a captured table before it is committed and visible
   * now, or null when that cannot be told (a write transaction on them is open). Called right
   * before {@link #verify}; recorded as the baseline of the next {@code --verify changed}.
   */
  Long quietLsn() throws Exception;
}
