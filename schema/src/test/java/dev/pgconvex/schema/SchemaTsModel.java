package dev.pgconvex.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code schema.ts} reduced to its meaning, for structural comparison: table to field to
 * validator (whitespace, comments and trailing commas dropped, shared validators of a {@code
 * validators.ts} substituted), and table to index name to fields. Spreads ({@code ...cdcTables})
 * are ignored. Handles the shapes the seed guide and {@link SchemaTsWriter} write, not all of
 * TypeScript.
 */
record SchemaTsModel(
    Map<String, Map<String, String>> fields, Map<String, Map<String, List<String>>> indexes) {
  private static final Pattern INDEX =
      Pattern.compile("\\.index\\(\\s*\"([^\"]+)\"\\s*,\\s*\\[([^\\]]*)\\]\\s*\\)");

  static SchemaTsModel parse(String schemaTs, String validatorsTs) {
    Map<String, String> shared = new LinkedHashMap<>();
    if (validatorsTs != null) {
      String s = stripComments(validatorsTs);
      Matcher m = Pattern.compile("export\\s+const\\s+(\\w+)\\s*=").matcher(s);
      while (m.find()) {
        shared.put(m.group(1), normalise(s.substring(m.end(), end(s, m.end())), Map.of()));
      }
    }
    String s = stripComments(schemaTs);
    int open = s.indexOf('{', s.indexOf("defineSchema("));
    int close = close(s, open + 1);
    Map<String, Map<String, String>> fields = new TreeMap<>();
    Map<String, Map<String, List<String>>> indexes = new TreeMap<>();
    for (String entry : entries(s.substring(open + 1, close))) {
      if (entry.startsWith("...")) {
        continue;
      }
      int colon = entry.indexOf(':');
      String table = entry.substring(0, colon).trim();
      String def = entry.substring(colon + 1);
      int fOpen = def.indexOf('{', def.indexOf("defineTable("));
      int fClose = close(def, fOpen + 1);
      Map<String, String> f = new TreeMap<>();
      for (String field : entries(def.substring(fOpen + 1, fClose))) {
        int c = field.indexOf(':');
        f.put(field.substring(0, c).trim(), normalise(field.substring(c + 1), shared));
      }
      fields.put(table, f);
      Map<String, List<String>> ix = new TreeMap<>();
      Matcher m = INDEX.matcher(def.substring(fClose));
      while (m.find()) {
        List<String> cols = new ArrayList<>();
        for (String part : m.group(2).split(",")) {
          if (!part.isBlank()) {
            cols.add(part.trim().replace("\"", ""));
          }
        }
        ix.put(m.group(1), cols);
      }
      indexes.put(table, ix);
    }
    return new SchemaTsModel(fields, indexes);
  }

  /** Comments out, strings kept. */
  static String stripComments(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'') {
        int j = i + 1;
        while (s.charAt(j) != c) {
          j += s.charAt(j) == '\\' ? 2 : 1;
        }
        sb.append(s, i, j + 1);
        i = j;
      } else if (s.startsWith("//", i)) {
        while (i < s.length() && s.charAt(i) != '\n') {
          i++;
        }
        sb.append('\n');
      } else if (s.startsWith("/*", i)) {
        i = s.indexOf("*/", i) + 1;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Index of the end of the expression starting at {@code from}: a top-level , ; or closer. */
  private static int end(String s, int from) {
    return end(s, from, true);
  }

  /** Index of the closer of the bracket opened just before {@code from}. */
  private static int close(String s, int from) {
    return end(s, from, false);
  }

  private static int end(String s, int from, boolean atComma) {
    int depth = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'') {
        i++;
        while (s.charAt(i) != c) {
          i += s.charAt(i) == '\\' ? 2 : 1;
        }
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) {
          return i;
        }
        depth--;
      } else if (atComma && depth == 0 && (c == ',' || c == ';')) {
        return i;
      }
    }
    return s.length();
  }

  private static List<String> entries(String body) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < body.length()) {
      int e = end(body, i);
      String entry = body.substring(i, e).trim();
      if (!entry.isEmpty()) {
        out.add(entry);
      }
      i = e + 1;
    }
    return out;
  }

  private static String normalise(String expr, Map<String, String> shared) {
    String s = expr.replaceAll("\\s+", "").replace(",)", ")").replace(",]", "]");
    for (var e : shared.entrySet()) {
      s =
          Pattern.compile("(?<![.\\w\"])" + e.getKey() + "(?![\\w\"])")
              .matcher(s)
              .replaceAll(Matcher.quoteReplacement(e.getValue()));
    }
    return s;
  }
}
