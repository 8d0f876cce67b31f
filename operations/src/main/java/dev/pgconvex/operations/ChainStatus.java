package dev.pgconvex.operations;

import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.alerts.FiringAlert;
import dev.pgconvex.operations.lag.GroupLag;
import java.util.List;
import java.util.Map;

/**
 * The whole chain at one moment: the verdict with its reason, the end-to-end lag and each stage's
 * own status. The JSON form is the interface of {@code ./cdc status --json} (docs/contracts.md,
 * "Chain status").
 *
 * @param verdict the one word
 * @param reason why, for every verdict but {@code caught up} (null then)
 * @param endToEndLagMs now minus the source commit time of the newest change known applied in
 *     Convex, null when unknown (nothing applied yet, or the sink not reachable)
 * @param stages {@code source}, {@code transformer}, {@code sink}: those that answered
 * @param unreachable endpoints that did not answer, each with the reason
 * @param alerts the alerts firing in the processes that evaluate them ({@code ./cdc run}, {@code
 *     demo}); empty when none fires or none is evaluated there
 * @param consumerLag the transformer's and the sink's consumer-group lag, per partition, as read by
 *     those processes; empty when not known
 * @param verify the background verification where a process runs it, else null
 */
public record ChainStatus(
    Verdict verdict,
    String reason,
    Long endToEndLagMs,
    Map<String, StageStatus> stages,
    List<String> unreachable,
    List<FiringAlert> alerts,
    List<GroupLag> consumerLag,
    VerifyStatus verify) {

  /** Without alerts and consumer lag (the evaluator's part). */
  public ChainStatus(
      Verdict verdict,
      String reason,
      Long endToEndLagMs,
      Map<String, StageStatus> stages,
      List<String> unreachable) {
    this(verdict, reason, endToEndLagMs, stages, unreachable, List.of(), List.of(), null);
  }

  /** The same status with the alerts and consumer lag that were read. */
  public ChainStatus with(List<FiringAlert> alerts, List<GroupLag> consumerLag) {
    return new ChainStatus(
        verdict,
        reason,
        endToEndLagMs,
        stages,
        unreachable,
        List.copyOf(alerts),
        List.copyOf(consumerLag),
        verify);
  }

  /** The same status with the background verification's. */
  public ChainStatus withVerify(VerifyStatus v) {
    return new ChainStatus(
        verdict, reason, endToEndLagMs, stages, unreachable, alerts, consumerLag, v);
  }
}
