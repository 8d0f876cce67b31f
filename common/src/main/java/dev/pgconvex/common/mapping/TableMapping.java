package dev.pgconvex.common.mapping;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One captured Postgres table and the Convex table it becomes.
 *
 * @param schema Postgres schema ({@code public})
 * @param table Postgres table
 * @param target Convex table name
 * @param primaryKey key columns in key order (the source key)
 * @param columns the columns copied as plain fields (relation columns are not among them)
 * @param relations foreign keys written as document ids
 */
public record TableMapping(
    String schema,
    String table,
    String target,
    List<String> primaryKey,
    List<ColumnMapping> columns,
    List<RelationMapping> relations) {
  public TableMapping {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(target, "target");
    primaryKey = List.copyOf(primaryKey);
    columns = List.copyOf(columns);
    relations = relations == null ? List.of() : List.copyOf(relations);
  }

  /** {@code schema.table}, as Debezium names it in its table include list. */
  @JsonIgnore
  public String qualifiedName() {
    return schema + "." + table;
  }

  /** Columns consumed by relations (not copied as plain fields). */
  @JsonIgnore
  public Set<String> relationColumns() {
    return relations.stream().flatMap(r -> r.columns().stream()).collect(Collectors.toSet());
  }
}
