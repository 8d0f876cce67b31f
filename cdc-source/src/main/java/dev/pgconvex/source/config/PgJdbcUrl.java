package dev.pgconvex.source.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single-host PostgreSQL JDBC URL taken apart for Debezium, which wants host, port and database
 * separately. Immutable.
 *
 * @param url the URL as configured
 * @param host host name or address
 * @param port port (5432 when absent)
 * @param database database name
 * @param params URL parameters ({@code sslmode} and friends), in order
 */
public record PgJdbcUrl(
    String url, String host, int port, String database, Map<String, String> params) {
  private static final Pattern URL =
      Pattern.compile(
          "jdbc:postgresql://(\\[[0-9A-Fa-f:.]+\\]|[^:/?,\\[\\]]+)(?::(\\d{1,5}))?/([^?/]+)(?:\\?(.*))?");

  public PgJdbcUrl {
    params = Map.copyOf(params);
  }

  /**
   * Parses {@code jdbc:postgresql://host[:port]/database[?k=v&...]}.
   *
   * @throws IllegalArgumentException when the URL has another form (several hosts, no database)
   */
  public static PgJdbcUrl parse(String url) {
    Matcher m = URL.matcher(url.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "must be jdbc:postgresql://host[:port]/database (one host), for example"
              + " jdbc:postgresql://localhost:5432/app");
    }
    String host = m.group(1);
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range");
    }
    Map<String, String> params = new LinkedHashMap<>();
    if (m.group(4) != null) {
      for (String kv : m.group(4).split("&")) {
        if (kv.isEmpty()) {
          continue;
        }
        int eq = kv.indexOf('=');
        params.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
      }
    }
    return new PgJdbcUrl(url.trim(), host, port, m.group(3), params);
  }
}
