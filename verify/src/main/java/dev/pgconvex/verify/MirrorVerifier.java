package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.SourceKey;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares the Convex mirror with Postgres by content: the same source keys, and for each key a
 * document equal to the row translated by the mapping, with every foreign key holding the Convex id
 * of the right parent.
 *
 * <p>An independent oracle: it reads rows over JDBC and translates them itself, so a conversion bug
 * in the pipeline shows up as a mismatch rather than being compared with itself. Not thread-safe.
 */
public final class MirrorVerifier {
  private static final int MAX_REPORTED = 20;
  private static final int PAGE = 1000;

  private final Connection pg;
  private final Mapping mapping;
  private final ConvexReader convex;

  public MirrorVerifier(Connection pg, Mapping mapping, ConvexReader convex) {
    this.pg = pg;
    this.mapping = mapping;
    this.convex = convex;
  }

  /**
   * Counts rows in Postgres and live documents in Convex, per target table. Cheap enough to poll.
   */
  public Map<String, long[]> counts() throws SQLException, IOException {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (TableMapping t : mapping.tables()) {
      out.put(t.target(), new long[] {pgCount(t), convexCount(t.target())});
    }
    return out;
  }

  /** Compares every table by content. */
  public Report verify() throws SQLException, IOException {
    Map<String, Map<String, JsonNode>> convexDocs = new LinkedHashMap<>();
    Map<String, Map<String, String>> ids = new HashMap<>();
    for (TableMapping t : mapping.tables()) {
      Map<String, JsonNode> docs = new LinkedHashMap<>();
      Map<String, String> keyToId = new HashMap<>();
      readAll(t.target(), docs, keyToId);
      convexDocs.put(t.target(), docs);
      ids.put(t.target(), keyToId);
    }
    Map<String, TableReport> tables = new LinkedHashMap<>();
    List<String> mismatches = new ArrayList<>();
    for (TableMapping t : mapping.tables()) {
      Map<String, JsonNode> docs = new HashMap<>(convexDocs.get(t.target()));
      long rows = 0;
      try (Statement st = pg.createStatement()) {
        st.setFetchSize(PAGE);
        try (ResultSet rs =
            st.executeQuery("SELECT * FROM " + quote(t.schema()) + "." + quote(t.table()))) {
          while (rs.next()) {
            rows++;
            String key = sourceKey(rs, t);
            JsonNode actual = docs.remove(key);
            if (actual == null) {
              add(mismatches, t.target() + " " + key + ": row in Postgres, no document in Convex");
              continue;
            }
            ObjectNode expected = expectedDoc(t, rs, ids);
            String diff = diff(expected, actual);
            if (diff != null) {
              add(mismatches, t.target() + " " + key + ": " + diff);
            }
          }
        }
      }
      for (String extra : docs.keySet()) {
        add(mismatches, t.target() + " " + extra + ": document in Convex, no row in Postgres");
      }
      tables.put(t.target(), new TableReport(rows, convexDocs.get(t.target()).size()));
    }
    return new Report(tables, mismatches);
  }

  private void readAll(String table, Map<String, JsonNode> docs, Map<String, String> keyToId)
      throws IOException {
    String cursor = null;
    while (true) {
      ObjectNode args = Json.NODES.objectNode().put("table", table).put("limit", PAGE);
      if (cursor != null) {
        args.put("cursor", cursor);
      }
      JsonNode page = convex.query("cdc/ingest:docPage", args);
      for (JsonNode e : page.get("page")) {
        docs.put(e.get("key").asText(), e.get("doc"));
        keyToId.put(e.get("key").asText(), e.get("id").asText());
      }
      if (page.path("isDone").asBoolean(true)) {
        return;
      }
      cursor = page.get("continueCursor").asText();
    }
  }

  private long convexCount(String table) throws IOException {
    long total = 0;
    String cursor = null;
    while (true) {
      ObjectNode args = Json.NODES.objectNode().put("table", table);
      if (cursor != null) {
        args.put("cursor", cursor);
      }
      JsonNode page = convex.query("cdc/ingest:tableCount", args);
      total += page.get("count").asLong();
      if (page.path("isDone").asBoolean(true)) {
        return total;
      }
      cursor = page.get("continueCursor").asText();
    }
  }

  private long pgCount(TableMapping t) throws SQLException {
    try (Statement st = pg.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM " + quote(t.schema()) + "." + quote(t.table()))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private ObjectNode expectedDoc(TableMapping t, ResultSet rs, Map<String, Map<String, String>> ids)
      throws SQLException {
    ObjectNode doc = columnsDoc(t, rs);
    parentKeys(t, rs)
        .forEach(
            (field, ref) ->
                doc.put(
                    field,
                    expectedRef(
                        ref, ids.getOrDefault(ref.parentTable(), Map.of()).get(ref.parentKey()))));
    return doc;
  }

  /**
   * The document the current row of {@code rs} must have in Convex, without its reference fields
   * (see {@link #parentKeys}): every non-null column translated by the mapping, independently of
   * the pipeline's converter.
   */
  public static ObjectNode columnsDoc(TableMapping t, ResultSet rs) throws SQLException {
    ObjectNode doc = Json.NODES.objectNode();
    for (ColumnMapping c : t.columns()) {
      Object v = rs.getObject(c.column());
      if (v == null) {
        continue;
      }
      doc.set(c.field(), expectedValue(c, rs, v));
    }
    return doc;
  }

  /**
   * The parent each reference field of the current row must point at, by field; a NULL foreign key
   * has no entry (the field is then absent).
   */
  public static Map<String, ParentRef> parentKeys(TableMapping t, ResultSet rs)
      throws SQLException {
    Map<String, ParentRef> out = new LinkedHashMap<>();
    for (RelationMapping r : t.relations()) {
      ObjectNode keyRow = Json.NODES.objectNode();
      for (String col : r.columns()) {
        keyRow.set(col, jsonOf(rs.getObject(col)));
      }
      String parentKey = SourceKey.of(keyRow, r.columns());
      if (parentKey != null) {
        out.put(r.field(), new ParentRef(r.parentTable(), parentKey));
      }
    }
    return out;
  }

  /**
   * The value a reference field must hold: the id of the parent's live document, or, when the
   * parent has none, a placeholder no document id equals ({@code <unresolved users [1]>}).
   */
  public static String expectedRef(ParentRef ref, String parentId) {
    return parentId == null
        ? "<unresolved " + ref.parentTable() + " " + ref.parentKey() + ">"
        : parentId;
  }

  /** A reference: the parent's Convex table and source key. */
  public record ParentRef(String parentTable, String parentKey) {}

  private static JsonNode expectedValue(ColumnMapping c, ResultSet rs, Object v)
      throws SQLException {
    FieldType type = c.type();
    if (type == FieldType.ARRAY) {
      ArrayNode arr = Json.NODES.arrayNode();
      for (Object e : (Object[]) rs.getArray(c.column()).getArray()) {
        arr.add(e == null ? Json.NODES.nullNode() : scalar(c.elementType(), e));
      }
      return arr;
    }
    return switch (type) {
      case TIMESTAMP_MS ->
          Json.NODES.numberNode(
              rs.getObject(c.column(), LocalDateTime.class)
                  .toInstant(ZoneOffset.UTC)
                  .toEpochMilli());
      case TIMESTAMPTZ_MS ->
          Json.NODES.numberNode(
              rs.getObject(c.column(), OffsetDateTime.class).toInstant().toEpochMilli());
      case DATE_STRING -> Json.NODES.textNode(rs.getObject(c.column(), LocalDate.class).toString());
      case TIME_STRING -> Json.NODES.textNode(timeText(c, rs.getString(c.column())));
      case TIMESTAMP_ISO_STRING -> Json.NODES.textNode(isoText(c, rs));
      default -> scalar(type, v);
    };
  }

  /**
   * A time of day as the contract writes it: {@code HH:mm:ss}, or with exactly six fraction digits
   * when there is a fraction (Postgres prints as few as needed); {@code timetz} as Postgres prints
   * it.
   */
  static String timeText(ColumnMapping c, String pg) {
    if (c.pgType() != null && c.pgType().toLowerCase(java.util.Locale.ROOT).contains("with time")) {
      return pg;
    }
    int dot = pg.indexOf('.');
    if (dot < 0) {
      return pg;
    }
    String fraction = (pg.substring(dot + 1) + "000000").substring(0, 6);
    return pg.substring(0, dot) + "." + fraction;
  }

  private static final java.time.format.DateTimeFormatter ISO_MICROS =
      java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
          .withZone(ZoneOffset.UTC);

  /** A timestamp as ISO text in UTC with microseconds (a timestamp without zone read as UTC). */
  private static String isoText(ColumnMapping c, ResultSet rs) throws SQLException {
    boolean zoned =
        c.pgType() != null && c.pgType().toLowerCase(java.util.Locale.ROOT).contains("with time");
    java.time.Instant i =
        zoned
            ? rs.getObject(c.column(), OffsetDateTime.class).toInstant()
            : rs.getObject(c.column(), LocalDateTime.class).toInstant(ZoneOffset.UTC);
    return ISO_MICROS.format(i);
  }

  private static JsonNode scalar(FieldType type, Object v) {
    return switch (type) {
      case NUMBER ->
          Json.NODES.numberNode(
              ((Number) (v instanceof BigDecimal b ? b.doubleValue() : v)).doubleValue());
      case INT64 ->
          Json.NODES.textNode(v.toString()); // Convex's "json" output writes int64 as decimal text
      case DECIMAL_STRING -> Json.NODES.textNode(((BigDecimal) v).toPlainString());
      case BOOLEAN -> Json.NODES.booleanNode((Boolean) v);
      case BYTES -> Json.NODES.textNode(Base64.getEncoder().encodeToString((byte[]) v));
      case JSON -> Json.parse(v.toString());
      default -> Json.NODES.textNode(v.toString());
    };
  }

  /** The source key of the current row of {@code rs}, as the transformer builds it. */
  public static String sourceKey(ResultSet rs, TableMapping t) throws SQLException {
    ObjectNode keyRow = Json.NODES.objectNode();
    for (String k : t.primaryKey()) {
      keyRow.set(k, jsonOf(rs.getObject(k)));
    }
    return SourceKey.of(keyRow, t.primaryKey());
  }

  /** {@code "schema"."table"} of {@code t}, for SQL. */
  public static String qualified(TableMapping t) {
    return quote(t.schema()) + "." + quote(t.table());
  }

  /**
   * JSON form of a key column value, as Debezium writes it (numbers as numbers, the rest as text).
   */
  private static JsonNode jsonOf(Object v) {
    if (v == null) {
      return Json.NODES.nullNode();
    }
    if (v instanceof java.sql.Date d) {
      return Json.NODES.numberNode(
          d.toLocalDate().toEpochDay()); // Debezium's io.debezium.time.Date
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short) {
      return Json.NODES.numberNode(((Number) v).longValue());
    }
    if (v instanceof BigDecimal b) {
      return Json.NODES.textNode(b.toPlainString());
    }
    return Json.NODES.textNode(v.toString());
  }

  /**
   * Null when equal; else the first difference. Numbers compare by value, decimals by BigDecimal
   * value.
   */
  public static String diff(JsonNode expected, JsonNode actual) {
    if (expected.isTextual()
        && actual.isTextual()
        && expected.textValue().equals(actual.textValue())) {
      return null; // the common case, without the decimal and time patterns
    }
    if (expected.isNumber() && actual.isNumber()) {
      return expected.decimalValue().compareTo(actual.decimalValue()) == 0
          ? null
          : "expected " + expected + " but was " + actual;
    }
    if (expected.isTextual()
        && actual.isTextual()
        && looksDecimal(expected.asText())
        && looksDecimal(actual.asText())) {
      return new BigDecimal(expected.asText()).compareTo(new BigDecimal(actual.asText())) == 0
          ? null
          : "expected " + expected + " but was " + actual;
    }
    if (expected.isTextual()
        && actual.isTextual()
        && isTime(expected.asText())
        && isTime(actual.asText())) {
      return LocalTime.parse(expected.asText()).equals(LocalTime.parse(actual.asText()))
          ? null
          : "expected " + expected + " but was " + actual;
    }
    if (expected.getNodeType() != actual.getNodeType()) {
      return "expected " + expected + " but was " + actual;
    }
    if (expected.getNodeType() == JsonNodeType.OBJECT) {
      for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!actual.has(f)) {
          return "field " + f + " missing (expected " + expected.get(f) + ")";
        }
        String d = diff(expected.get(f), actual.get(f));
        if (d != null) {
          return "field " + f + ": " + d;
        }
      }
      for (Iterator<String> it = actual.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!expected.has(f)) {
          return "unexpected field " + f + " = " + actual.get(f);
        }
      }
      return null;
    }
    if (expected.getNodeType() == JsonNodeType.ARRAY) {
      if (expected.size() != actual.size()) {
        return "expected " + expected + " but was " + actual;
      }
      for (int i = 0; i < expected.size(); i++) {
        String d = diff(expected.get(i), actual.get(i));
        if (d != null) {
          return "[" + i + "]: " + d;
        }
      }
      return null;
    }
    return expected.equals(actual) ? null : "expected " + expected + " but was " + actual;
  }

  private static final java.util.regex.Pattern DECIMAL =
      java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?");
  private static final java.util.regex.Pattern TIME =
      java.util.regex.Pattern.compile("\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?");

  private static boolean looksDecimal(String s) {
    return DECIMAL.matcher(s).matches();
  }

  private static boolean isTime(String s) {
    return TIME.matcher(s).matches();
  }

  private static void add(List<String> list, String s) {
    if (list.size() < MAX_REPORTED) {
      list.add(s);
    } else if (list.size() == MAX_REPORTED) {
      list.add("... (more mismatches not listed)");
    }
  }

  public static String quote(String ident) {
    return "\"" + ident.replace("\"", "\"\"") + "\"";
  }

  /** Per table: rows in Postgres and live documents in Convex. */
  public record TableReport(long pgRows, long convexDocs) {}

  /** The outcome of {@link #verify()}: in sync when there is no mismatch. */
  public record Report(Map<String, TableReport> tables, List<String> mismatches) {
    public boolean inSync() {
      return mismatches.isEmpty();
    }
  }
}
