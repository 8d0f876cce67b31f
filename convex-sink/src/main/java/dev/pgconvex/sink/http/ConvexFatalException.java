package dev.pgconvex.sink.http;

/**
 * A failure an operator must fix (404: the functions are not deployed; another 4xx; a response that
 * is not Convex's). Never retried.
 */
public final class ConvexFatalException extends ConvexException {
  public ConvexFatalException(String message, int httpStatus, Throwable cause) {
    super(message, httpStatus, cause);
  }

  @Override
  public boolean retriable() {
    return false;
  }
}
