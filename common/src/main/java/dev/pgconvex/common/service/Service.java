package dev.pgconvex.common.service;

/**
 * A pipeline stage that runs until closed. {@link #start()} returns once the stage is running (or
 * throws with a clear message when it cannot start); {@link #close()} stops it, is idempotent, and
 * may be called from any thread.
 */
public interface Service extends AutoCloseable {
  /** Short name for logs and metrics: {@code source}, {@code transformer}, {@code sink}. */
  String name();

  void start() throws Exception;

  /** Current health; never blocks. */
  Health health();

  /**
   * The stage's typed status ({@code GET /status}); empty for a service that is not a pipeline
   * stage. Never blocks.
   */
  default java.util.Optional<dev.pgconvex.common.status.StageStatus> status() {
    return java.util.Optional.empty();
  }

  @Override
  void close();

  /** Health of a service, as reported by {@code /health}. */
  record Health(boolean up, String detail) {
    public static Health up(String detail) {
      return new Health(true, detail);
    }

    public static Health down(String detail) {
      return new Health(false, detail);
    }
  }
}
