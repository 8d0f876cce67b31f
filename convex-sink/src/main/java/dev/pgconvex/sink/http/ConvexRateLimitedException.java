package dev.pgconvex.sink.http;

import java.time.Duration;

/** HTTP 429: too many concurrent mutations or writes per second. Retry after slowing down. */
public final class ConvexRateLimitedException extends ConvexRetriableException {
  public ConvexRateLimitedException(String message, Duration retryAfter) {
    super(message, 429, "rate_limited", retryAfter, null);
  }
}
