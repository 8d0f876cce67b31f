package dev.pgconvex.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.operations.ChainEvaluator;
import dev.pgconvex.operations.ChainStatus;
import dev.pgconvex.operations.StatusProbe;
import dev.pgconvex.operations.Thresholds;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the endpoints the way {@code ./cdc status} does ({@link StatusProbe}: {@code /status},
 * {@code /alerts}, {@code /verify}), plus {@code /metrics} (throughput counters and dead letters by
 * reason) and, while someone watches, {@code /tables} (per-table counts, where the pipeline process
 * serves them), {@code /pending} (held rows, when some are held) and {@code /cutover}. An endpoint
 * that lacks a route is not an error: that part is unknown. Thread-safe.
 */
public final class EndpointReader {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  /** Route of the per-table counts the pipeline process serves. */
  public static final String TABLES_PATH = "/tables";

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{([^}]*)\\})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern DEAD_LETTERS =
      Pattern.compile("pgconvex_(\\w+?)_dead_letters_total");

  private final List<String> endpoints;
  private final StatusProbe probe;

  public EndpointReader(List<String> endpoints) {
    this.endpoints =
        endpoints.stream().map(e -> e.endsWith("/") ? e.substring(0, e.length() - 1) : e).toList();
    this.probe = new StatusProbe(this.endpoints, new ChainEvaluator(Thresholds.DEFAULTS));
  }

  public List<String> endpoints() {
    return endpoints;
  }

  /**
   * Reads every endpoint once.
   *
   * @param watched someone looks at the page: also the per-table counts (they cost the pipeline a
   *     count in both stores), the held rows and the last cutover (a Convex query)
   */
  public Reading read(boolean watched) {
    ChainStatus chain = probe.read();
    long captured = 0;
    long applied = 0;
    boolean sawSource = false;
    boolean sawSink = false;
    Map<String, long[]> dlqCounts = new LinkedHashMap<>();
    Map<String, TreeSet<String>> dlqTables = new LinkedHashMap<>();
    JsonNode tables = null;
    JsonNode pending = null;
    JsonNode cutover = null;
    boolean held =
        watched
            && chain.stages().get("transformer")
                instanceof dev.pgconvex.common.status.TransformerStatus t
            && t.pendingRows() > 0;
    for (String url : endpoints) {
      String metrics = get(url + "/metrics");
      if (metrics != null) {
        for (String line : metrics.split("\n")) {
          if (line.startsWith("#")) {
            continue;
          }
          Matcher m = SAMPLE.matcher(line);
          if (!m.find()) {
            continue;
          }
          String name = m.group(1);
          double value;
          try {
            value = Double.parseDouble(m.group(3));
          } catch (NumberFormatException e) {
            continue;
          }
          if (name.equals("pgconvex_source_events_total")) {
            captured += (long) value;
            sawSource = true;
          } else if (name.equals("pgconvex_sink_ops_applied_total")) {
            applied += (long) value;
            sawSink = true;
          } else if (DEAD_LETTERS.matcher(name).matches() && value > 0) {
            Matcher d = DEAD_LETTERS.matcher(name);
            d.matches();
            Map<String, String> labels = labels(m.group(2));
            String key = d.group(1) + "\u0000" + labels.getOrDefault("reason", "(no reason given)");
            dlqCounts.computeIfAbsent(key, k -> new long[1])[0] += (long) value;
            if (labels.containsKey("table")) {
              dlqTables.computeIfAbsent(key, k -> new TreeSet<>()).add(labels.get("table"));
            }
          }
        }
      }
      if (chain.stages().containsKey("source")) {
        sawSource = true; // a source that has read nothing yet has no counter: 0, not unknown
      }
      if (chain.stages().containsKey("sink")) {
        sawSink = true;
      }
      if (watched && tables == null) {
        tables = json(url + TABLES_PATH);
      }
      if (held && pending == null) {
        pending = json(url + "/pending");
      }
      if (watched && cutover == null) {
        JsonNode c = json(url + "/cutover");
        if (c != null && c.path("lastCutover").isObject()) {
          cutover = c.get("lastCutover");
        }
      }
    }
    List<Reading.DeadLetters> dlq = new ArrayList<>();
    dlqCounts.forEach(
        (k, v) -> {
          String[] parts = k.split("\u0000", 2);
          dlq.add(
              new Reading.DeadLetters(
                  parts[0],
                  parts[1],
                  v[0],
                  List.copyOf(dlqTables.getOrDefault(k, new TreeSet<>()))));
        });
    dlq.sort((a, b) -> Long.compare(b.count(), a.count()));
    return new Reading(
        System.currentTimeMillis(),
        chain,
        tables,
        sawSource ? captured : null,
        sawSink ? applied : null,
        dlq,
        pending,
        cutover);
  }

  static Map<String, String> labels(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (text == null) {
      return out;
    }
    Matcher m = LABEL.matcher(text);
    while (m.find()) {
      out.put(m.group(1), m.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    return out;
  }

  private static JsonNode json(String url) {
    String body = get(url);
    if (body == null) {
      return null;
    }
    try {
      return Json.parse(body);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  // The body of a 200 answer, or null (no such route there, or not reachable: /status says so).
  private static String get(String url) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
