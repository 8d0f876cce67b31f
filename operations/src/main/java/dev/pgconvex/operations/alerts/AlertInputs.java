package dev.pgconvex.operations.alerts;

import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.lag.GroupLag;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the rules read at one evaluation.
 *
 * @param stages the statuses that could be read, by stage name
 * @param expected the stages that should be there (those this process runs or watches): one that is
 *     missing counts as down
 * @param consumerLag the consumer groups' lag, empty when it could not be read
 * @param nowMs the time of the evaluation
 * @param verify the background verification's status where this process runs it, else null
 */
public record AlertInputs(
    Map<String, StageStatus> stages,
    Set<String> expected,
    List<GroupLag> consumerLag,
    long nowMs,
    VerifyStatus verify) {
  /** Without a background verification. */
  public AlertInputs(
      Map<String, StageStatus> stages,
      Set<String> expected,
      List<GroupLag> consumerLag,
      long nowMs) {
    this(stages, expected, consumerLag, nowMs, null);
  }

  public AlertInputs {
    stages = Map.copyOf(stages);
    expected = Set.copyOf(expected);
    consumerLag = List.copyOf(consumerLag);
  }

  /** The source's status, or null. */
  public SourceStatus source() {
    return stages.get("source") instanceof SourceStatus s ? s : null;
  }

  /** The transformer's status, or null. */
  public TransformerStatus transformer() {
    return stages.get("transformer") instanceof TransformerStatus t ? t : null;
  }

  /** The sink's status, or null. */
  public SinkStatus sink() {
    return stages.get("sink") instanceof SinkStatus s ? s : null;
  }
}
