package dev.pgconvex.common.mapping;

import java.util.List;
import java.util.Objects;

/**
 * A table between the widen and the narrow step of a schema evolution ({@code ./cdc schema
 * evolve}): the Convex schema accepts the documents of the mapping before the DDL and those of the
 * mapping after it, so the table flows while its documents are backfilled to the new shape.
 *
 * <p>Contract for the converter: a column in {@link #added} may be absent from a change (an event
 * written before the DDL) without that being schema drift; a column in {@link #retired} that a
 * change still carries is written as its old field; a value that does not fit the current column's
 * type is converted by the retired column of the same name (the type before a retype). Contract for
 * the schema writer: the fields of both lists are optional, a field in both is the union of its two
 * validators.
 *
 * @param migration the evolution's id (its rows in {@code cdc_migrations})
 * @param added columns of {@link TableMapping#columns()} that the mapping before did not have, or
 *     had with another type: renamed to, added, retyped
 * @param retired the columns of the mapping before that the catalog no longer has as they were:
 *     renamed from, dropped, retyped from
 */
public record Widening(String migration, List<String> added, List<ColumnMapping> retired) {
  public Widening {
    Objects.requireNonNull(migration, "migration");
    added = added == null ? List.of() : List.copyOf(added);
    retired = retired == null ? List.of() : List.copyOf(retired);
  }

  /** The retired column named {@code column}, or null. */
  public ColumnMapping retiredColumn(String column) {
    return retired.stream().filter(c -> c.column().equals(column)).findFirst().orElse(null);
  }
}
