package dev.pgconvex.replay;

/**
 * A replay that cannot be done as asked (bad input, a stage still running, data gone to retention,
 * a broker that does not answer): nothing was changed, and the message says why in one line and
 * what to do instead.
 */
public final class ReplayException extends RuntimeException {
  public ReplayException(String message) {
    super(message);
  }
}
