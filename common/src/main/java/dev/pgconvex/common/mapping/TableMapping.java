package dev.pgconvex.common.mapping;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * @param indexes the Convex indexes of the table, name to fields in order, or null when the mapping
 *     predates named indexes (then the schema writer derives one per relation and one on a natural
 *     key)
 * @param excludedColumns columns deliberately not copied (excluded in the mapping file, generated
 *     columns), so a schema diff does not report them as new; never null
 * @param configuredKey whether {@code primaryKey} holds key columns configured for a table without
 *     a primary key (mapping file {@code key}, {@code --key} or {@code source.key.columns}): the
 *     source must then be given the same columns ({@link Mapping#sourceKeyColumns()})
 * @param widening while a schema evolution widened the table (between its widen and narrow steps),
 *     what it accepts besides {@code columns}; else null
 */
public record TableMapping(
    String schema,
    String table,
    String target,
    List<String> primaryKey,
    List<ColumnMapping> columns,
    List<RelationMapping> relations,
    Map<String, List<String>> indexes,
    List<String> excludedColumns,
    boolean configuredKey,
    @JsonInclude(JsonInclude.Include.NON_NULL) Widening widening) {
  public TableMapping {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(target, "target");
    primaryKey = List.copyOf(primaryKey);
    columns = List.copyOf(columns);
    relations = relations == null ? List.of() : List.copyOf(relations);
    if (indexes != null) {
      // keeps the declaration order, which is the order of .index(...) in schema.ts
      Map<String, List<String>> copy = new LinkedHashMap<>();
      indexes.forEach((name, fields) -> copy.put(name, List.copyOf(fields)));
      indexes = Collections.unmodifiableMap(copy);
    }
    excludedColumns = excludedColumns == null ? List.of() : List.copyOf(excludedColumns);
  }

  /** A table that no schema evolution widened. */
  public TableMapping(
      String schema,
      String table,
      String target,
      List<String> primaryKey,
      List<ColumnMapping> columns,
      List<RelationMapping> relations,
      Map<String, List<String>> indexes,
      List<String> excludedColumns,
      boolean configuredKey) {
    this(
        schema,
        table,
        target,
        primaryKey,
        columns,
        relations,
        indexes,
        excludedColumns,
        configuredKey,
        null);
  }

  /** This table with {@code columns} and {@code widening} instead (null: narrowed). */
  public TableMapping withColumns(List<ColumnMapping> columns, Widening widening) {
    return new TableMapping(
        schema,
        table,
        target,
        primaryKey,
        columns,
        relations,
        indexes,
        excludedColumns,
        configuredKey,
        widening);
  }

  /** A table keyed by its primary key. */
  public TableMapping(
      String schema,
      String table,
      String target,
      List<String> primaryKey,
      List<ColumnMapping> columns,
      List<RelationMapping> relations,
      Map<String, List<String>> indexes,
      List<String> excludedColumns) {
    this(schema, table, target, primaryKey, columns, relations, indexes, excludedColumns, false);
  }

  /** A table without named indexes or excluded columns (the form before they existed). */
  public TableMapping(
      String schema,
      String table,
      String target,
      List<String> primaryKey,
      List<ColumnMapping> columns,
      List<RelationMapping> relations) {
    this(schema, table, target, primaryKey, columns, relations, null, null, false);
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
