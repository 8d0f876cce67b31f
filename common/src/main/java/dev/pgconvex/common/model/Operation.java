package dev.pgconvex.common.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One change to apply to a Convex document: the value of the {@code ops} topic (docs/contracts.md).
 *
 * @param table target Convex table
 * @param key canonical source key ({@link SourceKey})
 * @param op what to do
 * @param position orders changes of this document ({@link Position})
 * @param commitTs source commit time, epoch ms
 * @param txId Postgres transaction id, null for snapshot reads
 * @param doc whole document (upsert), given fields (patch, null value = remove), null for delete
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Operation(
    @JsonProperty("table") String table,
    @JsonProperty("key") String key,
    @JsonProperty("op") Kind op,
    @JsonProperty("position") String position,
    @JsonProperty("commitTs") long commitTs,
    @JsonProperty("txId") Long txId,
    @JsonProperty("doc") ObjectNode doc) {

  /** Operation kinds, written in lower case on the wire. */
  public enum Kind {
    @JsonProperty("upsert")
    UPSERT,
    @JsonProperty("patch")
    PATCH,
    @JsonProperty("delete")
    DELETE
  }

  public Operation {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(position, "position");
    if (op != Kind.DELETE && doc == null) {
      throw new IllegalArgumentException(op + " of " + table + "/" + key + " needs a document");
    }
  }

  /** The Kafka key of this operation. */
  public DocRef ref() {
    return new DocRef(table, key);
  }
}
