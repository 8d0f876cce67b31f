package dev.pgconvex.schema;

import java.util.Arrays;
import java.util.List;

/**
 * A relation declared in configuration rather than in the catalog, written {@code
 * [schema.]child.col[+col2...]->[schema.]parent}: {@code threads.user_id->users}. The child columns
 * are matched to the parent's primary-key columns in order.
 */
public record RelationSpec(
    String childSchema,
    String childTable,
    List<String> columns,
    String parentSchema,
    String parentTable) {

  /** Parses one spec; IllegalArgumentException with the expected form on a malformed one. */
  public static RelationSpec parse(String text) {
    String[] sides = text.split("->");
    if (sides.length != 2) {
      throw new IllegalArgumentException(
          "Relation '"
              + text
              + "' is not of the form child_table.column[+column]->parent_table (e.g. threads.user_id->users)");
    }
    String[] child = sides[0].trim().split("\\.");
    if (child.length < 2 || child.length > 3) {
      throw new IllegalArgumentException(
          "Relation '" + text + "': the child side must be table.column");
    }
    String childSchema = child.length == 3 ? child[0] : "public";
    String childTable = child[child.length - 2];
    List<String> cols =
        Arrays.stream(child[child.length - 1].split("\\+")).map(String::trim).toList();
    String[] parent = sides[1].trim().split("\\.");
    if (parent.length > 2 || parent[parent.length - 1].isBlank()) {
      throw new IllegalArgumentException(
          "Relation '" + text + "': the parent side must be [schema.]table");
    }
    return new RelationSpec(
        childSchema,
        childTable,
        cols,
        parent.length == 2 ? parent[0] : "public",
        parent[parent.length - 1]);
  }

  /** The spec as {@link #parse} reads it, schema {@code public} left out: for messages. */
  public String text() {
    return (childSchema.equals("public") ? "" : childSchema + ".")
        + childTable
        + "."
        + String.join("+", columns)
        + "->"
        + (parentSchema.equals("public") ? "" : parentSchema + ".")
        + parentTable;
  }
}
