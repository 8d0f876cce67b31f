package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.model.Operation;
import java.util.List;

/**
 * One converted source change of a row, before foreign-key resolution.
 *
 * @param ref the child's doc ref text ({@code table/key})
 * @param kind UPSERT (whole row), PATCH (TOAST columns left out) or DELETE
 * @param position the change's position
 * @param commitTs source commit time, epoch ms
 * @param txId Postgres transaction id, null for snapshot reads
 * @param doc converted plain fields (no relation fields); null for DELETE
 * @param refs one entry per relation whose columns are present in the change (all for UPSERT)
 * @param resync true for a row re-read by an incremental snapshot (a resync): its position is
 *     decided by the assembler, which knows the key's last change
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RowChange(
    String ref,
    Operation.Kind kind,
    String position,
    long commitTs,
    Long txId,
    ObjectNode doc,
    List<RefChange> refs,
    boolean resync) {
  public RowChange {
    refs = refs == null ? List.of() : List.copyOf(refs);
  }

  public RowChange(
      String ref,
      Operation.Kind kind,
      String position,
      long commitTs,
      Long txId,
      ObjectNode doc,
      List<RefChange> refs) {
    this(ref, kind, position, commitTs, txId, doc, refs, false);
  }

  /** This change at another position, no longer marked as a resync read. */
  public RowChange at(String newPosition) {
    return new RowChange(ref, kind, newPosition, commitTs, txId, doc, refs, false);
  }

  /**
   * A relation's value in a change.
   *
   * @param field the Convex field
   * @param parentRef the parent's doc ref text, null when the foreign-key columns are NULL
   * @param optional whether the row may be written before the parent's id is known
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RefChange(String field, String parentRef, boolean optional) {}
}
