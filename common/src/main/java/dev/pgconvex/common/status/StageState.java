package dev.pgconvex.common.status;

/** The life of a stage, as its status reports it. */
public enum StageState {
  /** Started, not yet doing its work (connecting, waiting for Kafka to assign work). */
  STARTING,
  /** Doing its work. */
  RUNNING,
  /** Stopped on an error it cannot get past by itself; {@code lastError} says which. */
  FAILED,
  /** Closed. */
  STOPPED
}
