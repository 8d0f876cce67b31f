package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.CatalogQueries.Raw;
import dev.pgconvex.schema.CatalogQueries.RawColumn;
import dev.pgconvex.schema.CatalogQueries.RawFk;
import dev.pgconvex.schema.CatalogQueries.RawIndex;
import dev.pgconvex.schema.MappingFile.ColumnConfig;
import dev.pgconvex.schema.MappingFile.IndexConfig;
import dev.pgconvex.schema.MappingFile.NamingStyle;
import dev.pgconvex.schema.MappingFile.Pos;
import dev.pgconvex.schema.MappingFile.TableConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the catalog records of the captured tables ({@link Raw}) into their {@link TableMapping}s:
 * Convex table and field names (with the mapping file's renames and naming style), field types
 * ({@link TypeRules} plus the file's overrides and validators), relations as id fields, a serial
 * key replaced by {@code _id}, and the Convex indexes, checked against Convex's limits. Adds to the
 * reader's warnings and problems. Not thread-safe; one per read.
 */
final class MappingBuilder {
  /** Convex's limits (FACTS.md): fields per object, indexes per table, fields per index. */
  static final int MAX_FIELDS = 1024;

  static final int MAX_INDEXES = 32;
  static final int MAX_INDEX_FIELDS = 16;

  /**
   * Access methods whose indexes a Convex index can stand in for: lookups by equality or order of
   * plain values. GIN, GiST, SP-GiST, BRIN and extension methods work otherwise (containment,
   * overlap, distance, block ranges).
   */
  private static final Set<String> VALUE_INDEX_METHODS = Set.of("btree", "hash");

  /** The pipeline's own tables (convex/cdc/tables.ts). */
  private static final Set<String> CDC_TABLES =
      Set.of("cdc_keys", "cdc_checkpoints", "cdc_lineage", "cdc_markers");

  private final List<String> warnings;
  private final List<String> problems;

  MappingBuilder(List<String> warnings, List<String> problems) {
    this.warnings = warnings;
    this.problems = problems;
  }

  /** The Convex table name of every captured table, checked for clashes. */
  Map<String, String> targets(Map<String, Raw> raws, MappingFile file) {
    Map<String, String> targets = new LinkedHashMap<>();
    Map<String, String> owner = new HashMap<>();
    for (Raw raw : raws.values()) {
      TableConfig tc = file.table(raw.qualified());
      String target;
      if (tc != null && tc.target() != null) {
        target = tc.target();
        if (!Naming.isLegal(target)) {
          problems.add(
              tc.targetPos()
                  + ": target '"
                  + target
                  + "' is not a legal Convex table name ([A-Za-z][A-Za-z0-9_]*, at most 64 chars)");
        }
      } else {
        target =
            Naming.legal(style(raw.table, styleOf(tc, file)), "table " + raw.qualified(), warnings);
      }
      if (CDC_TABLES.contains(target)) {
        problems.add(
            "table "
                + raw.qualified()
                + ": target "
                + target
                + " is a table of the pipeline itself; give it another target in the mapping file");
      }
      String other = owner.putIfAbsent(target, raw.qualified());
      if (other != null) {
        problems.add(
            "tables "
                + other
                + " and "
                + raw.qualified()
                + " both become Convex table "
                + target
                + "; give one a target in the mapping file");
      }
      targets.put(raw.qualified(), target);
    }
    return targets;
  }

  static NamingStyle styleOf(TableConfig tc, MappingFile file) {
    return tc != null && tc.naming() != null ? tc.naming() : file.naming();
  }

  private static String style(String name, NamingStyle style) {
    return style == NamingStyle.KEEP ? name : Naming.camel(name);
  }

  TableMapping toMapping(
      Raw raw,
      Map<String, Raw> all,
      Map<String, String> targets,
      Set<String> cyclic,
      MappingFile file) {
    TableConfig tc = file.table(raw.qualified());
    NamingStyle style = styleOf(tc, file);
    Map<String, ColumnConfig> cfg = tc == null ? Map.of() : tc.columns();
    Set<String> excluded = new LinkedHashSet<>();
    cfg.values().stream()
        .filter(ColumnConfig::exclude)
        .forEach(
            cc -> {
              if (raw.primaryKey.contains(cc.column())) {
                problems.add(
                    cc.pos()
                        + ": column "
                        + raw.qualified()
                        + "."
                        + cc.column()
                        + " is part of the primary key and cannot be excluded");
              }
              excluded.add(cc.column());
            });
    List<RelationMapping> relations = new ArrayList<>();
    Set<String> relationColumns = new LinkedHashSet<>();
    Map<String, String> fieldOfColumn = new HashMap<>();
    for (RawFk fk : raw.fks) {
      Raw parent = all.get(fk.parent());
      String cols = String.join(",", fk.columns());
      if (fk.columns().stream().anyMatch(excluded::contains)) {
        warnings.add(
            "foreign key "
                + raw.qualified()
                + "("
                + cols
                + "): a column is excluded by the mapping file, so the relation is not copied");
        continue;
      }
      if (parent == null) {
        warnings.add(
            (fk.pos() == null ? "" : fk.pos() + ": ")
                + "foreign key "
                + raw.qualified()
                + "("
                + cols
                + ") references "
                + fk.parent()
                + ", which is not captured: the column(s) are copied as plain values");
        continue;
      }
      if (parent.primaryKey.size() != fk.columns().size()) {
        problems.add(
            (fk.pos() == null ? "" : fk.pos() + ": ")
                + "relation "
                + raw.qualified()
                + "("
                + cols
                + ") -> "
                + fk.parent()
                + ": "
                + fk.columns().size()
                + " column(s) but the parent key has "
                + parent.primaryKey.size());
        continue;
      }
      for (String c : fk.columns()) {
        ColumnConfig cc = cfg.get(c);
        if (cc != null && (cc.type() != null || cc.validator() != null)) {
          problems.add(
              (cc.typePos() != null ? cc.typePos() : cc.validatorPos())
                  + ": column "
                  + raw.qualified()
                  + "."
                  + c
                  + " holds a relation to "
                  + fk.parent()
                  + " (a v.id field); its type cannot be overridden");
        }
      }
      boolean nullable = fk.columns().stream().anyMatch(c -> raw.columns.get(c).nullable);
      boolean onCycle = cyclic.contains(raw.qualified() + "->" + fk.parent());
      String field;
      if (fk.field() != null) {
        field = checkedName(fk.field(), fk.pos(), "field");
      } else if (fk.columns().size() == 1) {
        field = fieldName(raw, fk.columns().get(0), cfg.get(fk.columns().get(0)), style);
      } else {
        String base =
            style == NamingStyle.KEEP ? parent.table + "_id" : Naming.camel(parent.table) + "Id";
        field =
            Naming.legal(base, "column " + raw.qualified() + "." + fk.columns().get(0), warnings);
      }
      relations.add(
          new RelationMapping(field, fk.columns(), targets.get(fk.parent()), nullable || onCycle));
      relationColumns.addAll(fk.columns());
      fk.columns().forEach(c -> fieldOfColumn.put(c, field));
    }
    // A serial or identity key is replaced by Convex's _id; the source key lives on in the
    // pipeline's key table (and, with keepSourceId, in a field too).
    String surrogateKey =
        raw.primaryKey.size() == 1
                && raw.columns.get(raw.primaryKey.get(0)).autoIncrement
                && (tc == null || !tc.keepSourceId())
            ? raw.primaryKey.get(0)
            : null;
    List<ColumnMapping> columns = new ArrayList<>();
    List<String> excludedColumns = new ArrayList<>();
    for (RawColumn c : raw.columns.values()) {
      if (relationColumns.contains(c.name) || c.name.equals(surrogateKey)) {
        continue;
      }
      if (excluded.contains(c.name)) {
        excludedColumns.add(c.name);
        continue;
      }
      if (c.generated) {
        warnings.add(
            "column "
                + raw.qualified()
                + "."
                + c.name
                + " is generated: not copied (Convex stores"
                + " no computed fields; compute it in a query)");
        excludedColumns.add(c.name);
        continue;
      }
      ColumnConfig cc = cfg.get(c.name);
      Resolved type = resolve(raw, c, cc, file);
      if (type == null) {
        continue;
      }
      String field = fieldName(raw, c.name, cc, style);
      boolean keepEnum = cc == null || cc.type() == null;
      columns.add(
          new ColumnMapping(
              c.name,
              field,
              c.formatted,
              type.type,
              type.element,
              c.nullable,
              keepEnum ? c.enumValues : null,
              type.validator));
      fieldOfColumn.put(c.name, field);
    }
    checkFields(raw, relations, columns);
    Map<String, List<String>> indexes =
        indexes(raw, tc, relations, fieldOfColumn, surrogateKey == null);
    return new TableMapping(
        raw.schema,
        raw.table,
        targets.get(raw.qualified()),
        raw.primaryKey,
        columns,
        relations,
        indexes,
        excludedColumns,
        raw.configuredKey);
  }

  private String fieldName(Raw raw, String column, ColumnConfig cc, NamingStyle style) {
    if (cc != null && cc.name() != null) {
      return checkedName(cc.name(), cc.namePos(), "name");
    }
    return Naming.legal(style(column, style), "column " + raw.qualified() + "." + column, warnings);
  }

  private String checkedName(String name, Pos pos, String what) {
    if (!Naming.isLegal(name)) {
      problems.add(
          pos
              + ": "
              + what
              + " '"
              + name
              + "' is not a legal Convex field name ([A-Za-z][A-Za-z0-9_]*, at most 64 chars)");
    }
    return name;
  }

  private void checkFields(Raw raw, List<RelationMapping> relations, List<ColumnMapping> columns) {
    Map<String, String> seen = new HashMap<>();
    List<String[]> all = new ArrayList<>();
    relations.forEach(r -> all.add(new String[] {r.field(), String.join("+", r.columns())}));
    columns.forEach(c -> all.add(new String[] {c.field(), c.column()}));
    for (String[] f : all) {
      String other = seen.putIfAbsent(f[0], f[1]);
      if (other != null) {
        problems.add(
            "table "
                + raw.qualified()
                + ": columns "
                + other
                + " and "
                + f[1]
                + " both become field "
                + f[0]
                + "; rename one in the mapping file (columns: {"
                + f[1]
                + ": {name: ...}})");
      }
    }
    if (all.size() > MAX_FIELDS) {
      problems.add(
          "table "
              + raw.qualified()
              + " has "
              + all.size()
              + " fields; Convex allows "
              + MAX_FIELDS
              + ": exclude columns in the mapping file");
    }
  }

  /**
   * The table's Convex indexes: one per relation, one on a natural key, one per translatable
   * secondary index, then the mapping file's (renaming a derived index on the same fields).
   */
  private Map<String, List<String>> indexes(
      Raw raw,
      TableConfig tc,
      List<RelationMapping> relations,
      Map<String, String> fieldOfColumn,
      boolean naturalKey) {
    // keyed by the field list, so an index on the same fields is made once
    Map<List<String>, String> byFields = new LinkedHashMap<>();
    for (RelationMapping r : relations) {
      byFields.putIfAbsent(List.of(r.field()), Naming.indexName(List.of(r.field())));
    }
    if (naturalKey) {
      List<String> fields = fields(raw.primaryKey, fieldOfColumn);
      if (fields != null) {
        byFields.putIfAbsent(fields, Naming.indexName(fields));
      }
    }
    for (RawIndex ix : raw.indexes) {
      List<String> fields = fields(ix.columns(), fieldOfColumn);
      String why = untranslatable(ix, fields);
      if (why != null) {
        warnings.add(
            "index "
                + raw.schema
                + "."
                + ix.name()
                + " on "
                + raw.qualified()
                + " is not translated: "
                + why);
        continue;
      }
      byFields.putIfAbsent(fields, Naming.indexName(fields));
    }
    if (tc != null) {
      for (IndexConfig ic : tc.indexes()) {
        List<String> fields = fields(ic.columns(), fieldOfColumn);
        if (fields == null) {
          problems.add(
              ic.pos()
                  + ": index "
                  + ic.name()
                  + ": one of its columns is excluded or replaced by _id, so it is no field");
          continue;
        }
        if (!Naming.isLegalIndex(ic.name())) {
          problems.add(
              ic.pos()
                  + ": index name '"
                  + ic.name()
                  + "' is not legal in Convex ([A-Za-z][A-Za-z0-9_]*, at most 64 chars, not"
                  + " by_id or by_creation_time)");
        }
        byFields.put(fields, ic.name()); // renames a derived index on the same fields
      }
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    byFields.forEach(
        (fields, name) -> {
          if (out.putIfAbsent(name, fields) != null) {
            problems.add(
                "table "
                    + raw.qualified()
                    + ": two indexes are named "
                    + name
                    + "; name them apart in the mapping file");
          }
          if (fields.size() > MAX_INDEX_FIELDS) {
            problems.add(
                "table "
                    + raw.qualified()
                    + ": index "
                    + name
                    + " has "
                    + fields.size()
                    + " fields; Convex allows "
                    + MAX_INDEX_FIELDS);
          }
        });
    if (out.size() > MAX_INDEXES) {
      problems.add(
          "table "
              + raw.qualified()
              + " would get "
              + out.size()
              + " indexes; Convex allows "
              + MAX_INDEXES
              + ": drop some Postgres indexes from the translation");
    }
    return out;
  }

  /**
   * Why a Postgres index gets no Convex index, or null when it translates to one on {@code fields}.
   */
  private static String untranslatable(RawIndex ix, List<String> fields) {
    if (ix.fullText()) {
      return "it is a full-text (tsvector) index; Convex text search needs a searchIndex on a"
          + " string field instead, e.g. .searchIndex(\"search_<field>\", { searchField:"
          + " \"<field>\" }) on the text the tsvector is built from (add it to schema.ts: the"
          + " mapping file cannot declare one yet)";
    }
    String declare = " (declare one in the mapping file's indexes if needed)";
    if (ix.partialOrExpression()) {
      return "partial and expression indexes have no Convex form" + declare;
    }
    if (!VALUE_INDEX_METHODS.contains(ix.method())) {
      return "its access method "
          + ix.method()
          + " has no Convex counterpart: Convex indexes order documents by field values, as"
          + " btree does"
          + declare;
    }
    if (fields == null) {
      return "one of its columns is not copied" + declare;
    }
    return null;
  }

  /** The fields of {@code columns} (a relation's columns collapse into its one field), or null. */
  private static List<String> fields(List<String> columns, Map<String, String> fieldOfColumn) {
    List<String> out = new ArrayList<>();
    for (String c : columns) {
      String f = fieldOfColumn.get(c);
      if (f == null) {
        return null;
      }
      if (!out.contains(f)) {
        out.add(f);
      }
    }
    return out.isEmpty() ? null : out;
  }

  private record Resolved(FieldType type, FieldType element, String validator) {}

  /** The column's rule with the file's options and override applied, or null (a problem). */
  private Resolved resolve(Raw raw, RawColumn c, ColumnConfig cc, MappingFile file) {
    boolean array = c.elemTypname != null;
    String typname = array ? c.elemTypname : c.typname;
    String typtype = array ? c.elemTyptype : c.typtype;
    String formatted = array ? c.formatted.replace("[]", "") : c.formatted;
    FieldType base = TypeRules.scalar(typname, typtype, formatted);
    String override = cc == null ? null : cc.type();
    String validator = cc == null ? null : cc.validator();
    String name = raw.qualified() + "." + c.name;
    FieldType type;
    if (override == null) {
      type = base;
      if (type == null && validator != null) {
        type = FieldType.JSON;
      }
      if (type == FieldType.INT64 && file.bigint() == MappingFile.BigintMode.NUMBER) {
        type = FieldType.NUMBER;
      }
      if ((type == FieldType.TIMESTAMP_MS || type == FieldType.TIMESTAMPTZ_MS)
          && file.timestamps() == MappingFile.TimestampMode.ISO_STRING) {
        type = FieldType.TIMESTAMP_ISO_STRING;
      }
      if (type == null) {
        problems.add(
            "column "
                + name
                + " has type "
                + c.formatted
                + ", which has no Convex mapping: exclude the column or give it a type override"
                + " (string or json) in the mapping file, e.g. tables: {"
                + raw.table
                + ": {columns: {"
                + c.name
                + ": {type: json}}}}");
        return null;
      }
    } else {
      type = TypeRules.override(override, typname, typtype, base);
      if (type == null) {
        problems.add(
            cc.typePos()
                + ": column "
                + name
                + ": type "
                + override
                + " does not apply to Postgres type "
                + c.formatted
                + (array ? " (it applies to the array's elements)" : ""));
        return null;
      }
    }
    if (validator != null && type != FieldType.JSON) {
      problems.add(
          cc.validatorPos()
              + ": column "
              + name
              + ": a validator applies to json columns only (type: json)");
      return null;
    }
    return array
        ? new Resolved(FieldType.ARRAY, type, validator)
        : new Resolved(type, null, validator);
  }
}
