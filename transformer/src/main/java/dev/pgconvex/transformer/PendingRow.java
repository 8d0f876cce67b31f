package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DocRef;
import java.util.List;

/**
 * A row held back because a required parent's Convex id is not known yet (an orphan, if the parent
 * never arrives).
 *
 * @param childRef the row's doc ref ({@code posts/[7]})
 * @param position the position of its latest change
 * @param missing the required relations it waits for, in mapping order
 */
public record PendingRow(String childRef, String position, List<Missing> missing) {
  public PendingRow {
    missing = List.copyOf(missing);
  }

  /**
   * One relation a held row waits for.
   *
   * @param field the Convex field of the foreign key
   * @param parentRef the parent's doc ref ({@code users/[1]})
   */
  public record Missing(String field, String parentRef) {}

  /** Doc refs of the parents it waits for. */
  public List<String> missingParents() {
    return missing.stream().map(Missing::parentRef).toList();
  }

  /**
   * This row as JSON: {@code {table, key, position, missing: [{field, parentTable, parentKey}]}},
   * the shape of the rows of the transformer's {@code /pending} route and of orphan reports.
   */
  public ObjectNode toJson() {
    DocRef ref = DocRef.parse(childRef);
    ObjectNode o = Json.NODES.objectNode();
    o.put("table", ref.table());
    o.put("key", ref.key());
    o.put("position", position);
    var arr = o.putArray("missing");
    for (Missing m : missing) {
      DocRef p = DocRef.parse(m.parentRef());
      arr.addObject()
          .put("field", m.field())
          .put("parentTable", p.table())
          .put("parentKey", p.key());
    }
    return o;
  }
}
