package dev.pgconvex.sink.http;

/** HTTP 401 or 403: the admin key is wrong or may not run the function. Never retried. */
public final class ConvexAuthException extends ConvexException {
  public ConvexAuthException(int httpStatus) {
    super(
        "Convex rejected the admin key ("
            + httpStatus
            + "): check convex.admin.key / CONVEX_ADMIN_KEY; the key is not shown",
        httpStatus,
        null);
  }

  @Override
  public boolean retriable() {
    return false;
  }
}
