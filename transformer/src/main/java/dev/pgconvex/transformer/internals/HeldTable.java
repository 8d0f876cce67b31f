package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A table whose changes one task holds because they no longer match the mapping (schema drift):
 * what was seen and since when. Stored in the converter's {@code held-changes} store (so a restart
 * keeps it) and shown in the transformer's status.
 *
 * @param table {@code schema.table}
 * @param reason what differs and what to do ({@code SchemaDriftException}'s message)
 * @param sincePosition position of the first held change
 * @param sinceMs when the first change was held, epoch ms
 * @param changes changes held now
 * @param firstSeq sequence number of the oldest held change in the store
 * @param nextSeq sequence number the next held change gets
 */
public record HeldTable(
    @JsonProperty("table") String table,
    @JsonProperty("reason") String reason,
    @JsonProperty("sincePosition") String sincePosition,
    @JsonProperty("sinceMs") long sinceMs,
    @JsonProperty("changes") long changes,
    @JsonProperty("firstSeq") long firstSeq,
    @JsonProperty("nextSeq") long nextSeq) {

  public HeldTable appended() {
    return new HeldTable(table, reason, sincePosition, sinceMs, changes + 1, firstSeq, nextSeq + 1);
  }

  public HeldTable released(long n) {
    return new HeldTable(table, reason, sincePosition, sinceMs, changes - n, firstSeq + n, nextSeq);
  }

  public HeldTable because(String why) {
    return new HeldTable(table, why, sincePosition, sinceMs, changes, firstSeq, nextSeq);
  }
}
