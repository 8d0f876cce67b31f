package dev.pgconvex.common.config;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks a parsed value; returns null when it is fine, or what is wrong with it. */
@FunctionalInterface
public interface Validator {
  /**
   * @param value the parsed value, never null (absent values are checked by the definition)
   * @return null if valid, otherwise a short phrase such as {@code "must be at least 1"}
   */
  String check(Object value);

  /** A description for the generated reference, such as {@code "[1,...]"}. */
  default String describe() {
    return "";
  }

  static Validator atLeast(long min) {
    return new Validator() {
      @Override
      public String check(Object value) {
        return ((Number) value).doubleValue() < min ? "must be at least " + min : null;
      }

      @Override
      public String describe() {
        return "[" + min + ",...]";
      }
    };
  }

  static Validator between(double min, double max) {
    return new Validator() {
      @Override
      public String check(Object value) {
        double d = ((Number) value).doubleValue();
        return d < min || d > max ? "must be between " + fmt(min) + " and " + fmt(max) : null;
      }

      @Override
      public String describe() {
        return "[" + fmt(min) + ",...," + fmt(max) + "]";
      }
    };
  }

  static Validator oneOf(String... values) {
    Set<String> allowed = Set.of(values);
    return new Validator() {
      @Override
      public String check(Object value) {
        return allowed.contains(value) ? null : "must be one of " + List.of(values);
      }

      @Override
      public String describe() {
        return String.join(", ", values);
      }
    };
  }

  static Validator nonEmpty() {
    return new Validator() {
      @Override
      public String check(Object value) {
        if (value instanceof String s && s.isBlank()) {
          return "must not be empty";
        }
        if (value instanceof List<?> l && l.isEmpty()) {
          return "must not be empty";
        }
        if (value instanceof Secret s && s.isEmpty()) {
          return "must not be empty";
        }
        return null;
      }

      @Override
      public String describe() {
        return "non-empty";
      }
    };
  }

  static Validator matches(String regex, String what) {
    Pattern p = Pattern.compile(regex);
    return new Validator() {
      @Override
      public String check(Object value) {
        return p.matcher(value.toString()).matches() ? null : "must be " + what;
      }

      @Override
      public String describe() {
        return what;
      }
    };
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
