package dev.pgconvex.schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The user's mapping file (YAML): how the catalog is translated, table by table. Every name in it
 * is a Postgres name (table, column), except the Convex names it chooses ({@code target}, {@code
 * name}, {@code field}, index names).
 *
 * <pre>{@code
 * naming: camelCase          # or keep: Postgres names as they are (default camelCase)
 * bigint: int64              # or number (float64, exact up to 2^53)
 * timestamps: epochMs        # or isoString (UTC, microseconds kept)
 * tables:
 *   customer_mapping:        # [schema.]table
 *     target: customerMapping
 *     include: true          # captured even when the table list omits it;
 *                            # false (or exclude: true): never captured
 *     naming: keep
 *     keepSourceId: true     # keep a serial/identity key as an indexed field too
 *     key: [rubic_id, tripletex_env]  # a table without a primary key: its key columns (NOT NULL;
 *                            # the table needs REPLICA IDENTITY FULL)
 *     columns:
 *       rubic_id: { name: rubicCustomerNo }
 *       hash: { exclude: true }
 *       amount: { type: number }          # string | number | int64 | json | isoString | epochMs
 *       meta: { type: json, validator: "v.object({ tags: v.array(v.string()) })" }
 *     relations:
 *       user_id: users                    # "col[+col]": [schema.]parent, or {parent: p, field: f}
 *     indexes:
 *       by_rubic_and_env: [rubic_id, tripletex_env]
 * }</pre>
 *
 * <p>Without a table list, the captured tables are those of the file (but the excluded ones).
 * Listing a partition captures its partitioned parent. {@code keepSourceId} keeps a serial or
 * identity key as a field with an index ({@code by_id_field}: Convex reserves {@code by_id}).
 *
 * <p>{@link #parse} checks the file's shape (unknown keys, wrong kinds of values); {@link
 * CatalogReader} checks its references against the catalog. Both report every problem at once, each
 * with its position {@code file:line:column}. Immutable and thread-safe.
 */
public final class MappingFile {
  /** A mapping file that changes nothing: the catalog's defaults. */
  public static final MappingFile EMPTY =
      new MappingFile(NamingStyle.CAMEL_CASE, BigintMode.INT64, TimestampMode.EPOCH_MS, Map.of());

  /** Allowed values of a column's {@code type}. */
  public static final Set<String> TYPE_OVERRIDES =
      Set.of("string", "number", "int64", "json", "isoString", "epochMs");

  /** How Postgres names become Convex names. */
  public enum NamingStyle {
    /** {@code created_at} to {@code createdAt}. */
    CAMEL_CASE,
    /** as in Postgres (still made legal for Convex, with a warning). */
    KEEP
  }

  /** How bigint columns are written. */
  public enum BigintMode {
    INT64,
    NUMBER
  }

  /** How timestamp and timestamptz columns are written. */
  public enum TimestampMode {
    EPOCH_MS,
    ISO_STRING
  }

  /** A place in the file, printed {@code file:line:column} (both 1-based). */
  public record Pos(String file, int line, int column) {
    static Pos of(String file, Mark mark) {
      return new Pos(file, mark.getLine() + 1, mark.getColumn() + 1);
    }

    @Override
    public String toString() {
      return file + ":" + line + ":" + column;
    }
  }

  /**
   * One table's settings; null members are "not set".
   *
   * @param include null when not said, else whether the table is captured
   * @param naming null to use the file's style
   * @param key key columns of a table without a primary key, in key order, or null
   */
  public record TableConfig(
      String schema,
      String table,
      Pos pos,
      String target,
      Pos targetPos,
      Boolean include,
      NamingStyle naming,
      boolean keepSourceId,
      List<String> key,
      Pos keyPos,
      Map<String, ColumnConfig> columns,
      List<RelationConfig> relations,
      List<IndexConfig> indexes) {
    public String qualified() {
      return schema + "." + table;
    }
  }

  /**
   * One column's settings.
   *
   * @param name Convex field name, or null
   * @param type one of {@link #TYPE_OVERRIDES}, or null
   * @param validator Convex validator text replacing the derived one (json columns), or null
   */
  public record ColumnConfig(
      String column,
      Pos pos,
      String name,
      Pos namePos,
      String type,
      Pos typePos,
      String validator,
      Pos validatorPos,
      boolean exclude) {}

  /**
   * A relation declared in the file: {@code columns} of the table reference {@code parent}'s key.
   *
   * @param field the Convex field, or null for the default name
   */
  public record RelationConfig(
      List<String> columns, String parentSchema, String parentTable, String field, Pos pos) {}

  /** A named Convex index on Postgres columns (renames a derived index on the same columns). */
  public record IndexConfig(String name, List<String> columns, Pos pos) {}

  private final NamingStyle naming;
  private final BigintMode bigint;
  private final TimestampMode timestamps;
  private final Map<String, TableConfig> tables;
  private final List<String> order;

  private MappingFile(
      NamingStyle naming,
      BigintMode bigint,
      TimestampMode timestamps,
      Map<String, TableConfig> tables) {
    this.naming = naming;
    this.bigint = bigint;
    this.timestamps = timestamps;
    this.tables = Map.copyOf(tables);
    this.order = List.copyOf(tables.keySet());
  }

  public NamingStyle naming() {
    return naming;
  }

  public BigintMode bigint() {
    return bigint;
  }

  public TimestampMode timestamps() {
    return timestamps;
  }

  /** Table settings by {@code schema.table}, in file order. */
  public List<TableConfig> tables() {
    return order.stream().map(tables::get).toList();
  }

  /** The settings of {@code schema.table}, or null. */
  public TableConfig table(String qualified) {
    return tables.get(qualified);
  }

  /** Reads and checks a file; {@link CatalogException} lists every problem with its position. */
  /** {@code exclude} plus the tables this file marks {@code include: false}. */
  public List<String> excludedWith(List<String> exclude) {
    List<String> out = new java.util.ArrayList<>(exclude);
    tables().stream()
        .filter(tc -> Boolean.FALSE.equals(tc.include()))
        .forEach(tc -> out.add(tc.qualified()));
    return out;
  }

  /** {@code keyed} plus the tables this file gives key columns ({@code key: [...]}). */
  public java.util.Set<String> keyedWith(java.util.Collection<String> keyed) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>(keyed);
    tables().stream().filter(tc -> tc.key() != null).forEach(tc -> out.add(tc.qualified()));
    return out;
  }

  public static MappingFile read(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the mapping file " + file, e);
    }
  }

  /**
   * Parses mapping-file text.
   *
   * @param source the file name used in positions
   * @throws CatalogException listing every problem, each starting with {@code source:line:column}
   */
  public static MappingFile parse(String text, String source) {
    Node root;
    try {
      root = new Yaml(new LoaderOptions()).compose(new java.io.StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      throw new CatalogException(
          List.of(
              (m == null ? source : Pos.of(source, m).toString())
                  + ": not valid YAML: "
                  + e.getProblem()));
    }
    if (root == null) {
      return EMPTY;
    }
    return new Parser(source).file(root);
  }

  /** Builds the model and collects problems; one per file. */
  private static final class Parser {
    private final String source;
    private final List<String> problems = new ArrayList<>();

    Parser(String source) {
      this.source = source;
    }

    MappingFile file(Node root) {
      Map<String, NodeTuple> top =
          entries(root, Set.of("naming", "bigint", "timestamps", "tables"), "the file");
      NamingStyle naming = naming(top.get("naming"), NamingStyle.CAMEL_CASE);
      BigintMode bigint =
          choice(top.get("bigint"), Map.of("int64", BigintMode.INT64, "number", BigintMode.NUMBER))
              .orElse(BigintMode.INT64);
      TimestampMode timestamps =
          choice(
                  top.get("timestamps"),
                  Map.of("epochMs", TimestampMode.EPOCH_MS, "isoString", TimestampMode.ISO_STRING))
              .orElse(TimestampMode.EPOCH_MS);
      Map<String, TableConfig> tables = new LinkedHashMap<>();
      NodeTuple t = top.get("tables");
      if (t != null) {
        for (var e : entries(t.getValueNode(), null, "tables").entrySet()) {
          TableConfig tc = table(e.getKey(), e.getValue());
          if (tc != null && tables.putIfAbsent(tc.qualified(), tc) != null) {
            problem(e.getValue().getKeyNode(), "table " + tc.qualified() + " is configured twice");
          }
        }
      }
      if (!problems.isEmpty()) {
        throw new CatalogException(problems);
      }
      return new MappingFile(naming, bigint, timestamps, tables);
    }

    private TableConfig table(String name, NodeTuple tuple) {
      String[] parts = name.split("\\.");
      if (parts.length > 2 || name.isBlank()) {
        problem(tuple.getKeyNode(), "'" + name + "' is not a table name ([schema.]table)");
        return null;
      }
      String schema = parts.length == 2 ? parts[0] : "public";
      String table = parts[parts.length - 1];
      Map<String, NodeTuple> m =
          entries(
              tuple.getValueNode(),
              Set.of(
                  "target",
                  "include",
                  "exclude",
                  "naming",
                  "keepSourceId",
                  "key",
                  "columns",
                  "relations",
                  "indexes"),
              "table " + name);
      Boolean include = bool(m.get("include"));
      Boolean exclude = bool(m.get("exclude"));
      if (include != null && exclude != null && include == exclude) {
        problem(m.get("exclude").getKeyNode(), "table " + name + ": include and exclude disagree");
      }
      if (include == null && exclude != null) {
        include = !exclude;
      }
      Map<String, ColumnConfig> columns = new LinkedHashMap<>();
      if (m.containsKey("columns")) {
        for (var e : entries(m.get("columns").getValueNode(), null, "columns").entrySet()) {
          columns.put(e.getKey(), column(e.getKey(), e.getValue()));
        }
      }
      List<RelationConfig> relations = new ArrayList<>();
      if (m.containsKey("relations")) {
        for (var e : entries(m.get("relations").getValueNode(), null, "relations").entrySet()) {
          RelationConfig r = relation(e.getKey(), e.getValue());
          if (r != null) {
            relations.add(r);
          }
        }
      }
      List<IndexConfig> indexes = new ArrayList<>();
      if (m.containsKey("indexes")) {
        for (var e : entries(m.get("indexes").getValueNode(), null, "indexes").entrySet()) {
          List<String> cols = strings(e.getValue().getValueNode());
          if (cols != null) {
            indexes.add(new IndexConfig(e.getKey(), cols, pos(e.getValue().getKeyNode())));
          }
        }
      }
      NodeTuple keyTuple = m.get("key");
      List<String> key = keyTuple == null ? null : strings(keyTuple.getValueNode());
      if (key != null && key.isEmpty()) {
        problem(keyTuple.getValueNode(), "table " + name + ": key needs at least one column");
        key = null;
      }
      NodeTuple target = m.get("target");
      return new TableConfig(
          schema,
          table,
          pos(tuple.getKeyNode()),
          string(target),
          target == null ? null : pos(target.getValueNode()),
          include,
          m.containsKey("naming") ? naming(m.get("naming"), null) : null,
          Boolean.TRUE.equals(bool(m.get("keepSourceId"))),
          key,
          keyTuple == null ? null : pos(keyTuple.getValueNode()),
          columns,
          relations,
          indexes);
    }

    private ColumnConfig column(String name, NodeTuple tuple) {
      Map<String, NodeTuple> m =
          entries(
              tuple.getValueNode(),
              Set.of("name", "type", "validator", "exclude"),
              "column " + name);
      NodeTuple type = m.get("type");
      String typeText = string(type);
      if (typeText != null && !TYPE_OVERRIDES.contains(typeText)) {
        problem(
            type.getValueNode(),
            "column "
                + name
                + ": unknown type '"
                + typeText
                + "'; use one of "
                + String.join(", ", TYPE_OVERRIDES.stream().sorted().toList()));
        typeText = null;
      }
      NodeTuple validator = m.get("validator");
      String validatorText = string(validator);
      if (validatorText != null && !validatorText.trim().startsWith("v.")) {
        problem(
            validator.getValueNode(),
            "column " + name + ": the validator must be a Convex validator expression (v.…)");
      }
      NodeTuple rename = m.get("name");
      return new ColumnConfig(
          name,
          pos(tuple.getKeyNode()),
          string(rename),
          rename == null ? null : pos(rename.getValueNode()),
          typeText,
          type == null ? null : pos(type.getValueNode()),
          validatorText,
          validator == null ? null : pos(validator.getValueNode()),
          Boolean.TRUE.equals(bool(m.get("exclude"))));
    }

    private RelationConfig relation(String columns, NodeTuple tuple) {
      List<String> cols = List.of(columns.split("\\+")).stream().map(String::trim).toList();
      String parent;
      String field = null;
      if (tuple.getValueNode() instanceof ScalarNode s) {
        parent = s.getValue();
      } else {
        Map<String, NodeTuple> m =
            entries(tuple.getValueNode(), Set.of("parent", "field"), "relation " + columns);
        parent = string(m.get("parent"));
        field = string(m.get("field"));
        if (parent == null) {
          problem(tuple.getKeyNode(), "relation " + columns + ": parent is missing");
          return null;
        }
      }
      String[] p = parent.split("\\.");
      if (p.length > 2 || cols.stream().anyMatch(String::isEmpty)) {
        problem(
            tuple.getKeyNode(),
            "relation "
                + columns
                + ": write column[+column]: [schema.]parent_table (e.g. user_id: users)");
        return null;
      }
      return new RelationConfig(
          cols, p.length == 2 ? p[0] : "public", p[p.length - 1], field, pos(tuple.getKeyNode()));
    }

    /** The entries of a mapping node by key, reporting unknown (when allowed != null), dupes. */
    private Map<String, NodeTuple> entries(Node node, Set<String> allowed, String where) {
      Map<String, NodeTuple> out = new LinkedHashMap<>();
      if (node instanceof ScalarNode s && s.getValue().isEmpty()) {
        return out; // "columns:" with nothing under it
      }
      if (!(node instanceof MappingNode m)) {
        problem(node, where + ": expected a mapping (key: value)");
        return out;
      }
      for (NodeTuple t : m.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k)) {
          problem(t.getKeyNode(), where + ": keys must be plain names");
          continue;
        }
        String key = k.getValue();
        if (allowed != null && !allowed.contains(key)) {
          problem(
              k,
              where
                  + ": unknown key '"
                  + key
                  + "'; expected one of "
                  + String.join(", ", allowed.stream().sorted().toList()));
        } else if (out.putIfAbsent(key, t) != null) {
          problem(k, where + ": '" + key + "' is given twice");
        }
      }
      return out;
    }

    private NamingStyle naming(NodeTuple t, NamingStyle dflt) {
      return choice(t, Map.of("camelCase", NamingStyle.CAMEL_CASE, "keep", NamingStyle.KEEP))
          .orElse(dflt);
    }

    private <T> java.util.Optional<T> choice(NodeTuple t, Map<String, T> values) {
      String s = string(t);
      if (s == null) {
        return java.util.Optional.empty();
      }
      T v = values.get(s);
      if (v == null) {
        problem(
            t.getValueNode(),
            ((ScalarNode) t.getKeyNode()).getValue()
                + ": '"
                + s
                + "' is not one of "
                + String.join(", ", values.keySet().stream().sorted().toList()));
      }
      return java.util.Optional.ofNullable(v);
    }

    private String string(NodeTuple t) {
      if (t == null) {
        return null;
      }
      if (!(t.getValueNode() instanceof ScalarNode s)) {
        problem(
            t.getValueNode(),
            ((ScalarNode) t.getKeyNode()).getValue() + ": expected a single value");
        return null;
      }
      return s.getValue();
    }

    private Boolean bool(NodeTuple t) {
      String s = string(t);
      if (s == null) {
        return null;
      }
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on" -> true;
        case "false", "no", "off" -> false;
        default -> {
          problem(
              t.getValueNode(),
              ((ScalarNode) t.getKeyNode()).getValue()
                  + ": expected true or false, not '"
                  + s
                  + "'");
          yield null;
        }
      };
    }

    private List<String> strings(Node node) {
      if (!(node instanceof SequenceNode seq)
          || !seq.getValue().stream().allMatch(n -> n instanceof ScalarNode)) {
        problem(node, "expected a list of column names, e.g. [rubic_id, tripletex_env]");
        return null;
      }
      return seq.getValue().stream().map(n -> ((ScalarNode) n).getValue()).toList();
    }

    private Pos pos(Node n) {
      return Pos.of(source, n.getStartMark());
    }

    private void problem(Node n, String message) {
      problems.add(pos(n) + ": " + message);
    }
  }
}
