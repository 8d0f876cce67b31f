package dev.pgconvex.source.engine;

/**
 * Kafka did not acknowledge a change within the delivery timeout. Nothing of the batch was marked
 * processed, so restarting the source resends it (at least once, no gap): retriable.
 */
public final class SourceDeliveryException extends RuntimeException {
  public SourceDeliveryException(String message, Throwable cause) {
    super(message, cause);
  }
}
