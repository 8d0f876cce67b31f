package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A barrier marker on its way through the topology (docs/contracts.md, "Markers"). Each node
 * forwards it once it has it from every one of its inputs (every upstream task), so everything
 * before the marker in each input has passed the node.
 *
 * @param pipeline the pipeline it was written for
 * @param id the marker's id
 * @param lsn its WAL position
 * @param commitTs its source time, epoch ms
 * @param sourceAt when the source wrote it into Kafka, epoch ms
 * @param from the upstream task that sent it (a node's own input partition for the first node)
 * @param held the most rows and refs held for a parent that any node reported when it forwarded the
 *     marker (instance-wide counts: conservative)
 */
public record MarkerMsg(
    @JsonProperty("pipeline") String pipeline,
    @JsonProperty("id") String id,
    @JsonProperty("lsn") long lsn,
    @JsonProperty("commitTs") long commitTs,
    @JsonProperty("sourceAt") long sourceAt,
    @JsonProperty("from") String from,
    @JsonProperty("held") long held) {

  /** This marker as sent on by {@code from}, with at least {@code held} held. */
  public MarkerMsg sentBy(String from, long held) {
    return new MarkerMsg(pipeline, id, lsn, commitTs, sourceAt, from, Math.max(this.held, held));
  }
}
