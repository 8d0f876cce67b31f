package dev.pgconvex.transformer.convert;

import java.util.List;
import java.util.Map;

/**
 * A change event of a mapped table no longer matches the mapping: a mapped column is gone from the
 * row image, or a column's value has a JSON kind its mapped type never takes (the column was
 * retyped). Not a bad row: every later change of the table will look the same until the mapping
 * follows the DDL, so the transformer holds the table's changes (in order) instead of
 * dead-lettering them one by one (docs/skip-points.md, "Schema drift").
 */
public final class SchemaDriftException extends ConversionException {
  public static final String CODE = "schema_drift";

  private final List<String> missing;
  private final List<String> added;
  private final Map<String, String> retyped;

  /**
   * @param table {@code schema.table}
   * @param missing mapped columns absent from the row image
   * @param added columns of the image the mapping does not know
   * @param retyped column to what was seen instead of the mapped type
   */
  public SchemaDriftException(
      String table, List<String> missing, List<String> added, Map<String, String> retyped) {
    super(CODE, describe(table, missing, added, retyped));
    this.missing = List.copyOf(missing);
    this.added = List.copyOf(added);
    this.retyped = Map.copyOf(retyped);
  }

  public List<String> missing() {
    return missing;
  }

  public List<String> added() {
    return added;
  }

  public Map<String, String> retyped() {
    return retyped;
  }

  // "public.users: `name` gone and `full_name` added: renamed?"
  private static String describe(
      String table, List<String> missing, List<String> added, Map<String, String> retyped) {
    StringBuilder b = new StringBuilder(table).append(": ");
    List<String> parts = new java.util.ArrayList<>();
    if (!missing.isEmpty()) {
      parts.add(ticks(missing) + " gone");
    }
    if (!added.isEmpty()) {
      parts.add(ticks(added) + " added");
    }
    retyped.forEach((c, seen) -> parts.add("`" + c + "` retyped (" + seen + ")"));
    b.append(String.join(" and ", parts));
    if (!missing.isEmpty() && !added.isEmpty()) {
      b.append(": renamed?");
    }
    return b.append(
            "; the table's changes are held in order until the mapping matches: run ./cdc schema"
                + " diff, regenerate the mapping and the Convex schema (old and new fields"
                + " optional), deploy, and restart the transformer with it")
        .toString();
  }

  private static String ticks(List<String> cols) {
    return cols.stream().map(c -> "`" + c + "`").collect(java.util.stream.Collectors.joining(", "));
  }
}
