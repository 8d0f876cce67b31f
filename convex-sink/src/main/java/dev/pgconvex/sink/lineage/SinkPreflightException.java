package dev.pgconvex.sink.lineage;

/**
 * The sink found state it must not continue from (another deployment's ids, another source's
 * mirror). Never retried: an operator must act; the message says how.
 */
public final class SinkPreflightException extends RuntimeException {
  public SinkPreflightException(String message) {
    super(message);
  }
}
