package dev.pgconvex.sink.http;

/**
 * The calling thread was interrupted during a call or while waiting to retry. The thread's
 * interrupt flag is set again when this is thrown.
 */
public final class ConvexInterruptedException extends ConvexException {
  public ConvexInterruptedException(String message, Throwable cause) {
    super(message, -1, cause);
  }

  @Override
  public boolean retriable() {
    return false;
  }
}
