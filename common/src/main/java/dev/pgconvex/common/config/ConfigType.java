package dev.pgconvex.common.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The type of a configuration value and how text is parsed into it. */
public enum ConfigType {
  STRING {
    @Override
    Object parse(String text) {
      return text;
    }
  },
  /** Like STRING, but never printed: logs, errors and docs show {@code [hidden]}. */
  PASSWORD {
    @Override
    Object parse(String text) {
      return new Secret(text);
    }
  },
  INT {
    @Override
    Object parse(String text) {
      return Integer.parseInt(text.trim());
    }
  },
  LONG {
    @Override
    Object parse(String text) {
      return Long.parseLong(text.trim());
    }
  },
  DOUBLE {
    @Override
    Object parse(String text) {
      return Double.parseDouble(text.trim());
    }
  },
  BOOLEAN {
    @Override
    Object parse(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      if (t.equals("true")) {
        return Boolean.TRUE;
      }
      if (t.equals("false")) {
        return Boolean.FALSE;
      }
      throw new IllegalArgumentException("expected true or false");
    }
  },
  LIST {
    @Override
    Object parse(String text) {
      if (text.isBlank()) {
        return List.of();
      }
      return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
  };

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException (or NumberFormatException) when the text is not of this type
   */
  abstract Object parse(String text);
}
