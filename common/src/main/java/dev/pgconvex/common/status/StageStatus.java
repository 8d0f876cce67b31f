package dev.pgconvex.common.status;

/**
 * A stage's typed status: what the stage itself knows, for {@code GET /status}, {@code ./cdc
 * status} and the operations module. Every field is documented in docs/contracts.md ("Status").
 * Stages never read each other's meters: they meet through these records (as JSON between
 * processes).
 */
public sealed interface StageStatus permits SourceStatus, TransformerStatus, SinkStatus {
  /** {@code source}, {@code transformer} or {@code sink}. */
  String stage();

  StageState state();

  /** One line for people: what it is doing, or why it is not. */
  String detail();

  /** The last error met, or null. */
  LastError lastError();
}
