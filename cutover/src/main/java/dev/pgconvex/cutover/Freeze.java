package dev.pgconvex.cutover;

import java.time.Duration;

/**
 * Stops the application's writes on the captured tables for the length of a cutover ({@link
 * FreezeMode}). One cutover, one freeze; not thread-safe except {@link #release}, which may be
 * called from any thread and more than once.
 */
public interface Freeze {
  /** The mode. */
  FreezeMode mode();

  /**
   * Takes the freeze. When it returns, no transaction that writes to a captured table is open:
   * every change before it is committed, and none can commit until {@link #release}.
   *
   * @param timeout how long it may wait for the writers already running (lock: {@code
   *     lock_timeout}; read-only: the bound after which their sessions are ended)
   * @return one line for the report, e.g. {@code 3 tables locked}
   * @throws CutoverException when it cannot (then nothing is frozen)
   */
  String acquire(Duration timeout) throws CutoverException;

  /**
   * Releases the freeze (nothing when none is held). Never throws.
   *
   * @return null when released (or nothing was held), else why not, in one line
   */
  String release();

  /** The freeze of {@link FreezeMode#NONE}: nothing to take, nothing to release. */
  Freeze NONE =
      new Freeze() {
        @Override
        public FreezeMode mode() {
          return FreezeMode.NONE;
        }

        @Override
        public String acquire(Duration timeout) {
          return "no freeze (rehearsal): writes go on";
        }

        @Override
        public String release() {
          return null;
        }
      };
}
