package dev.pgconvex.source.preflight;

/**
 * Postgres or Kafka could not be reached or answered with a transient error. Retriable: starting
 * again later may succeed. The message never contains the password.
 */
public final class SourceUnavailableException extends RuntimeException {
  public SourceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
