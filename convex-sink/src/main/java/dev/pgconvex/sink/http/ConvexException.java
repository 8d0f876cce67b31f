package dev.pgconvex.sink.http;

/**
 * A call to Convex failed. The subtype says what to do: {@link ConvexRetriableException} (retry
 * later, same request), {@link ConvexRejectedException} (Convex refused this request; retrying it
 * unchanged fails again, a smaller request may succeed), {@link ConvexAuthException} and {@link
 * ConvexFatalException} (stop, an operator must act), {@link ConvexInterruptedException} (the
 * calling thread was interrupted). Messages never contain the admin key.
 */
public abstract class ConvexException extends RuntimeException {
  private final int httpStatus;

  ConvexException(String message, int httpStatus, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
  }

  /** The HTTP status of the response, or -1 when there was none (timeout, dropped connection). */
  public int httpStatus() {
    return httpStatus;
  }

  /** True when the same request may succeed if sent again later. */
  public abstract boolean retriable();
}
