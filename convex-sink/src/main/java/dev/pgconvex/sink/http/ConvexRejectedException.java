package dev.pgconvex.sink.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Convex refused the request itself: the function threw ({@code status:"error"}, HTTP 200 or 560)
 * or the request was invalid (HTTP 400, e.g. an argument that fails validation or a transaction
 * limit). Sending it again unchanged fails again; for a batch, sending smaller parts isolates the
 * bad operation.
 */
public final class ConvexRejectedException extends ConvexException {
  private final String errorMessage;
  private final JsonNode errorData;

  public ConvexRejectedException(String errorMessage, int httpStatus, JsonNode errorData) {
    super("Convex rejected the call (HTTP " + httpStatus + "): " + errorMessage, httpStatus, null);
    this.errorMessage = errorMessage;
    this.errorData = errorData;
  }

  /** Convex's own message, without our prefix. */
  public String errorMessage() {
    return errorMessage;
  }

  /** The {@code errorData} of a {@code ConvexError}, or null. */
  public JsonNode errorData() {
    return errorData;
  }

  @Override
  public boolean retriable() {
    return false;
  }
}
