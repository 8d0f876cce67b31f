package dev.pgconvex.transformer.resolve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.model.DocRef;
import dev.pgconvex.transformer.PendingRow;
import dev.pgconvex.transformer.internals.RowState;
import java.util.stream.Collectors;

/** Text and JSON of a held row, for orphan reports and the {@code /pending} listing. Stateless. */
public final class OrphanReport {
  private OrphanReport() {}

  /** {@code state} (held, stored under {@code ref}) as a {@link PendingRow}. */
  public static PendingRow pendingRow(String ref, RowState state) {
    return new PendingRow(
        ref,
        state.position(),
        state.missingRelations().stream()
            .map(r -> new PendingRow.Missing(r.field(), r.parentRef()))
            .toList());
  }

  /** The dead letter's reason: table, key, the missing parents, how long, and what to do. */
  static String reason(DocRef ref, RowState state, long heldMs) {
    String parents =
        state.missingRelations().stream()
            .map(
                r ->
                    r.field()
                        + " -> "
                        + DocRef.parse(r.parentRef()).table()
                        + " key "
                        + DocRef.parse(r.parentRef()).key())
            .collect(Collectors.joining(", "));
    return ref.table()
        + " key "
        + ref.key()
        + ": held "
        + (heldMs / 1000)
        + " s waiting for a parent that never arrived ("
        + parents
        + "); the row keeps waiting and is written when the parent arrives: insert the parent or"
        + " declare the relation optional in the mapping";
  }

  /** The dead letter's value: the row as {@link PendingRow#toJson()} gives it. */
  static ObjectNode json(DocRef ref, RowState state) {
    return pendingRow(ref.toString(), state).toJson();
  }
}
