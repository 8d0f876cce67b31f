package dev.pgconvex.common.mapping;

import java.util.List;
import java.util.Objects;

/**
 * A foreign key (declared in Postgres or only in the mapping) that becomes a {@code v.id(parent)}
 * field.
 *
 * @param field the Convex field that holds the parent's document id ({@code userId})
 * @param columns the child's columns, in the order of the parent's primary-key columns
 * @param parentTable the parent's target (Convex) table name
 * @param optional true when the field may be absent: a nullable column, or a reference on a
 *     foreign-key cycle; such a field is written later by a patch when the parent's id is not yet
 *     known
 */
public record RelationMapping(
    String field, List<String> columns, String parentTable, boolean optional) {
  public RelationMapping {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(parentTable, "parentTable");
    columns = List.copyOf(columns);
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("Relation " + field + " has no columns");
    }
  }
}
