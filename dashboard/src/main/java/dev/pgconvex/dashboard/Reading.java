package dev.pgconvex.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.operations.ChainStatus;
import java.util.List;

/**
 * What one reading of the endpoints found.
 *
 * @param atMs when, epoch ms
 * @param chain the chain's status as {@code ./cdc status} reads it
 * @param tables per-table counts as the pipeline process serves them ({@code GET /tables}: {@code
 *     {"tables": {t: {"pgRows", "convexDocs"}}, "atMs", "error"}}), null where no endpoint counts
 *     (stages deployed alone know no table totals)
 * @param captured changes the source read from Postgres since it started ({@code /metrics}), null
 *     when no source answered
 * @param applied ops the sink applied in Convex since it started, null when no sink answered
 * @param deadLetters dead letters since the stages started, by stage and reason ({@code /metrics})
 * @param pending the transformer's {@code GET /pending} (keys only), null when not read
 * @param lastCutover the pipeline's last cutover ({@code GET /cutover}), null when none or not
 *     served
 */
public record Reading(
    long atMs,
    ChainStatus chain,
    JsonNode tables,
    Long captured,
    Long applied,
    List<DeadLetters> deadLetters,
    JsonNode pending,
    JsonNode lastCutover) {

  public Reading {
    deadLetters = List.copyOf(deadLetters);
  }

  /**
   * Dead letters of one stage and reason.
   *
   * @param stage {@code transformer}, {@code sink}
   * @param reason the metric's reason ({@code unreadable}, {@code rejected}, {@code orphan}, ...)
   * @param count since the stage started, all tables
   * @param tables the tables they came from
   */
  public record DeadLetters(String stage, String reason, long count, List<String> tables) {}
}
