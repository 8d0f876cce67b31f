package dev.pgconvex.operations;

import dev.pgconvex.common.status.StageStatus;
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
 */
public record ChainStatus(
    Verdict verdict,
    String reason,
    Long endToEndLagMs,
    Map<String, StageStatus> stages,
    List<String> unreachable) {}
