package dev.pgconvex.sink.http;

import java.time.Duration;
import java.util.Optional;

/**
 * A transient failure: overload (503), rate limit (429, see {@link ConvexRateLimitedException}),
 * other 5xx, 408/409/425, a timeout or a dropped connection. The mutation may or may not have been
 * applied; the sink's mutations are idempotent, so sending the request again is safe.
 */
public class ConvexRetriableException extends ConvexException {
  private final String reason;
  private final Duration retryAfter;

  /**
   * @param reason short label for metrics ({@code timeout}, {@code connection}, {@code
   *     unavailable}, {@code server_error}, {@code rate_limited}...)
   * @param retryAfter the server's {@code Retry-After}, or null
   */
  public ConvexRetriableException(
      String message, int httpStatus, String reason, Duration retryAfter, Throwable cause) {
    super(message, httpStatus, cause);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }

  /** Short label of the failure, used as the {@code reason} tag of the retry counter. */
  public String reason() {
    return reason;
  }

  /** How long the server asked us to wait, when it said so. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  @Override
  public boolean retriable() {
    return true;
  }
}
