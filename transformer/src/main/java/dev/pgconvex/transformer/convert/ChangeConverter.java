package dev.pgconvex.transformer.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.mapping.Widening;
import dev.pgconvex.common.model.DocRef;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.common.model.SourceKey;
import dev.pgconvex.transformer.internals.RowChange;
import dev.pgconvex.transformer.internals.RowChange.RefChange;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns one Debezium change event (JSON, schemas disabled) of one mapped table into a {@link
 * RowChange}: converted fields, the parent refs of its relations, position and commit metadata.
 * Immutable and thread-safe.
 */
public final class ChangeConverter {
  private final TableMapping table;
  private final Set<String> known = new HashSet<>();
  private final Set<String> mapped = new java.util.LinkedHashSet<>();
  // the current columns by name: a retired column of the same name (a retype) is not written twice
  private final Set<String> columns = new HashSet<>();
  private final Consumer<String> onUnmappedColumn;

  public ChangeConverter(TableMapping table) {
    this(table, column -> {});
  }

  /**
   * @param onUnmappedColumn told of each column an event carries that the mapping does not know
   *     (schema drift); such a column is never written, because the deployed Convex schema would
   *     reject it
   */
  public ChangeConverter(TableMapping table, Consumer<String> onUnmappedColumn) {
    this.table = table;
    this.onUnmappedColumn = onUnmappedColumn;
    table.columns().forEach(c -> known.add(c.column()));
    table.columns().forEach(c -> columns.add(c.column()));
    known.addAll(table.relationColumns());
    known.addAll(table.primaryKey());
    known.addAll(table.excludedColumns());
    table.primaryKey().forEach(mapped::add);
    table.columns().forEach(c -> mapped.add(c.column()));
    mapped.addAll(table.relationColumns());
    Widening w = table.widening();
    if (w != null) {
      // Widened: an event from before the DDL lacks the new columns and carries the old ones.
      w.added().forEach(mapped::remove);
      w.retired().forEach(c -> known.add(c.column()));
    }
  }

  public TableMapping table() {
    return table;
  }

  /**
   * Converts one record.
   *
   * @param key the record key text ({@code {"id":1}}), may be null
   * @param value the envelope text; null for a tombstone
   * @return the change, or null when the record carries nothing to mirror (a tombstone)
   * @throws ConversionException when the row cannot be mirrored (bad value, truncate, malformed
   *     event): the record goes to the dead-letter topic
   */
  public RowChange convert(String key, String value) throws ConversionException {
    if (value == null) {
      return null; // tombstone after a delete: the delete already did the work
    }
    JsonNode env;
    try {
      env = Json.parse(value);
    } catch (IllegalArgumentException e) {
      throw new ConversionException(
          ConversionException.NOT_JSON,
          table.qualifiedName() + ": the change event is not JSON; check the source's converter");
    }
    String op = env.path("op").asText("");
    JsonNode source = env.path("source");
    if (op.equals("t")) {
      throw new ConversionException(
          ConversionException.TRUNCATE,
          "truncate of "
              + table.qualifiedName()
              + " is not mirrored; run a resync of the table to bring Convex in line");
    }
    boolean snapshot = op.equals("r");
    // A read of an incremental snapshot (./cdc resync) happens while streaming goes on: it must
    // beat the
    // changes it includes and lose to later ones, so the assembler gives it the key's last
    // position.
    boolean resync = snapshot && "incremental".equals(source.path("snapshot").asText());
    String position =
        snapshot
            ? Position.SNAPSHOT
            : Position.of(
                source.path("lsn").asLong(0L),
                env.path("transaction").path("data_collection_order").asLong(0L));
    long commitTs = source.path("ts_ms").asLong(env.path("ts_ms").asLong(0L));
    Long txId =
        snapshot || !source.path("txId").isNumber() ? null : source.path("txId").longValue();
    switch (op) {
      case "d" -> {
        String k = rowKey(env.path("before"), key);
        return new RowChange(
            ref(k), Operation.Kind.DELETE, position, commitTs, txId, null, List.of());
      }
      case "c", "r", "u" -> {
        JsonNode after = env.path("after");
        if (!after.isObject()) {
          throw new ConversionException(
              ConversionException.NO_AFTER,
              table.qualifiedName()
                  + ": '"
                  + op
                  + "' event without an after image; check the source");
        }
        String k = rowKey(after, key);
        List<String> added = new ArrayList<>();
        for (Iterator<String> it = after.fieldNames(); it.hasNext(); ) {
          String column = it.next();
          if (!known.contains(column)) {
            added.add(column);
          }
        }
        // The image has every column of the row (NULLs as null): a mapped one absent is gone.
        List<String> missing = new ArrayList<>();
        for (String column : mapped) {
          if (!after.has(column)) {
            missing.add(column);
          }
        }
        if (!missing.isEmpty()) {
          throw new SchemaDriftException(table.qualifiedName(), missing, added, Map.of());
        }
        added.forEach(onUnmappedColumn);
        RowChange row = row(k, after, position, commitTs, txId);
        return resync
            ? new RowChange(
                row.ref(),
                row.kind(),
                row.position(),
                row.commitTs(),
                row.txId(),
                row.doc(),
                row.refs(),
                true)
            : row;
      }
      default ->
          throw new ConversionException(
              ConversionException.UNSUPPORTED_OP,
              table.qualifiedName()
                  + ": unsupported change event op '"
                  + op
                  + "'; only c, r, u, d are mirrored");
    }
  }

  private RowChange row(String k, JsonNode after, String position, long commitTs, Long txId)
      throws ConversionException {
    ObjectNode doc = Json.NODES.objectNode();
    boolean toasted = false;
    for (ColumnMapping c : table.columns()) {
      JsonNode v = after.get(c.column());
      if (v == null || v.isNull()) {
        continue; // SQL NULL: the field is absent
      }
      JsonNode converted;
      try {
        converted = convertWidened(c, v);
      } catch (ConversionException e) {
        if (!ConversionException.TYPE_CHANGED.equals(e.code())) {
          throw e;
        }
        throw new SchemaDriftException(
            table.qualifiedName(),
            List.of(),
            List.of(),
            Map.of(c.column(), ValueConverter.kind(v) + " " + preview(v) + ", mapped " + c.type()));
      }
      if (converted == ValueConverter.UNAVAILABLE) {
        toasted = true; // unchanged TOAST value: leave the field alone in Convex
        continue;
      }
      doc.set(c.field(), converted);
    }
    Widening w = table.widening();
    if (w != null) {
      for (ColumnMapping c : w.retired()) {
        JsonNode v = after.get(c.column());
        if (v == null || v.isNull() || doc.has(c.field()) || columns.contains(c.column())) {
          continue; // gone from the image (after the DDL), or the current column's value won
        }
        JsonNode converted = ValueConverter.convert(table.table(), c, v);
        if (converted == ValueConverter.UNAVAILABLE) {
          toasted = true;
          continue;
        }
        doc.set(c.field(), converted);
      }
    }
    List<RefChange> refs = new ArrayList<>(table.relations().size());
    for (RelationMapping r : table.relations()) {
      if (r.columns().stream().anyMatch(c -> isPlaceholder(after.get(c)))) {
        toasted = true;
        continue;
      }
      String parentKey = SourceKey.of(after, r.columns());
      String parentRef =
          parentKey == null ? null : new DocRef(r.parentTable(), parentKey).toString();
      refs.add(new RefChange(r.field(), parentRef, r.optional()));
    }
    return new RowChange(
        ref(k),
        toasted ? Operation.Kind.PATCH : Operation.Kind.UPSERT,
        position,
        commitTs,
        txId,
        doc,
        refs);
  }

  /**
   * Converts by the current column; a widened table's value that does not fit it is converted by
   * the retired column of the same name (an event from before a retype).
   */
  private JsonNode convertWidened(ColumnMapping c, JsonNode v) throws ConversionException {
    try {
      return ValueConverter.convert(table.table(), c, v);
    } catch (ConversionException e) {
      ColumnMapping before =
          table.widening() == null ? null : table.widening().retiredColumn(c.column());
      if (before == null || !ConversionException.TYPE_CHANGED.equals(e.code())) {
        throw e;
      }
      return ValueConverter.convert(table.table(), before, v);
    }
  }

  private static String preview(JsonNode v) {
    String text = v.isTextual() ? v.textValue() : v.toString();
    return "'" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'";
  }

  private static boolean isPlaceholder(JsonNode v) {
    return v != null && v.isTextual() && v.textValue().equals(ValueConverter.TOAST_PLACEHOLDER);
  }

  private String rowKey(JsonNode image, String recordKey) throws ConversionException {
    String k = image.isObject() ? SourceKey.of(image, table.primaryKey()) : null;
    if (k == null && recordKey != null) {
      try {
        k = SourceKey.of(Json.parse(recordKey), table.primaryKey());
      } catch (IllegalArgumentException e) {
        k = null;
      }
    }
    if (k == null) {
      throw new ConversionException(
          ConversionException.NO_KEY,
          table.qualifiedName()
              + ": change event without the primary key "
              + table.primaryKey()
              + "; give the table a primary key or REPLICA IDENTITY FULL");
    }
    return k;
  }

  private String ref(String key) {
    return new DocRef(table.target(), key).toString();
  }
}
