package dev.pgconvex.stack;

/**
 * An embedded server could not be started, stopped or reached. Not retryable as such: the cause
 * (port clash, missing binary, broken data directory) needs a look, and the message names it.
 */
public final class StackException extends RuntimeException {
  public StackException(String message) {
    super(message);
  }

  public StackException(String message, Throwable cause) {
    super(message, cause);
  }
}
