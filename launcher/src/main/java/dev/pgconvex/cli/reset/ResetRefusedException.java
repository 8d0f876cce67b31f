package dev.pgconvex.cli.reset;

/** The pipeline is running (or its state is in use): nothing was removed; the message says why. */
public final class ResetRefusedException extends RuntimeException {
  public ResetRefusedException(String message) {
    super(message);
  }
}
