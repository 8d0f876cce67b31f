package dev.pgconvex.transformer.convert;

/**
 * A value of one row cannot be written to Convex. The row goes to the dead-letter topic with {@link
 * #getMessage()} as the reason (it names {@code table.column}, the value's kind and what to do);
 * retrying cannot help.
 */
public final class ConversionException extends Exception {
  public ConversionException(String reason) {
    super(reason, null, false, false);
  }
}
