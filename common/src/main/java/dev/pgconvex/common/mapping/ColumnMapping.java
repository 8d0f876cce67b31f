package dev.pgconvex.common.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * One Postgres column and the Convex field it becomes.
 *
 * @param column Postgres column name
 * @param field Convex field name
 * @param pgType the Postgres type name as the catalog gives it ({@code int4}, {@code
 *     timestamptz}...)
 * @param type conversion rule
 * @param elementType for {@link FieldType#ARRAY}: the element's rule, else null
 * @param nullable whether the column may be NULL (then the field is optional)
 * @param enumValues for an enum column, its labels in order, else null
 * @param validatorOverride a Convex validator expression that replaces the one derived from {@code
 *     type} in the schema (for example {@code v.object({ tags: v.array(v.string()) })} for a json
 *     column), else null; the value is still converted by {@code type}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ColumnMapping(
    String column,
    String field,
    String pgType,
    FieldType type,
    FieldType elementType,
    boolean nullable,
    List<String> enumValues,
    String validatorOverride) {
  public ColumnMapping {
    Objects.requireNonNull(column, "column");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(type, "type");
  }

  /** A column without a validator override (the form before overrides existed). */
  public ColumnMapping(
      String column,
      String field,
      String pgType,
      FieldType type,
      FieldType elementType,
      boolean nullable,
      List<String> enumValues) {
    this(column, field, pgType, type, elementType, nullable, enumValues, null);
  }

  public static ColumnMapping of(
      String column, String field, String pgType, FieldType type, boolean nullable) {
    return new ColumnMapping(column, field, pgType, type, null, nullable, null);
  }
}
