package dev.pgconvex.transformer.convert;

/**
 * A value of one row cannot be written to Convex. The row goes to the dead-letter topic with {@link
 * #getMessage()} as the reason (it names {@code table.column}, the value's kind and what to do);
 * retrying cannot help. {@link #code()} is the short word the dead-letter counter is tagged with.
 */
public class ConversionException extends Exception {
  /** A column value Convex cannot take (wrong kind, too large...). */
  public static final String BAD_VALUE = "bad_value";

  /** The record value is not JSON. */
  public static final String NOT_JSON = "not_json";

  /** A TRUNCATE: not mirrored, the table needs a resync. */
  public static final String TRUNCATE = "truncate";

  /** A Debezium op other than c, r, u, d, t. */
  public static final String UNSUPPORTED_OP = "unsupported_op";

  /** A create, read or update without an after image. */
  public static final String NO_AFTER = "no_after";

  /** Neither the row image nor the record key carries the primary key. */
  public static final String NO_KEY = "no_key";

  /** A record of a topic the mapping does not know. */
  public static final String UNMAPPED_TABLE = "unmapped_table";

  /** A value whose JSON kind the column's mapped type never takes: the column was retyped. */
  public static final String TYPE_CHANGED = "type_changed";

  private final String code;

  /** A {@link #BAD_VALUE}. */
  public ConversionException(String reason) {
    this(BAD_VALUE, reason);
  }

  /**
   * @param code one of the constants of this class
   * @param reason what went wrong and what to do
   */
  public ConversionException(String code, String reason) {
    super(reason, null, false, false);
    this.code = code;
  }

  /** The short word for the dead-letter counter's {@code reason} tag. */
  public String code() {
    return code;
  }
}
