package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.transformer.Transformer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./cdc pending --endpoint http://127.0.0.1:PORT [--limit N] [--json]}: lists the rows a
 * running transformer holds because a required parent's Convex id is not known yet (orphans, if the
 * parent never arrives). Reads the transformer's {@code /pending} route ({@link
 * Transformer#pendingJson(int)}, at most {@link Transformer#PENDING_LIMIT} rows per instance) with
 * one HTTP request and prints a table (table, key, the parents waited for) or, with {@code --json},
 * the route's JSON unchanged. Counts are per transformer instance: with several instances, ask each
 * one.
 *
 * <p>Exit codes: 0 listed (also when nothing is held), 1 the endpoint cannot be reached or does not
 * answer with the listing (message says why), 2 usage error.
 */
@Command(
    name = "pending",
    mixinStandardHelpOptions = true,
    description =
        "List the rows a running transformer holds while waiting for a parent (orphans if the"
            + " parent never arrives), from its HTTP endpoint.")
public final class PendingCommand implements Callable<Integer> {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--endpoint",
      required = true,
      description =
          "Base URL of the transformer's (or the pipeline's) HTTP endpoint, as logged at start:"
              + " http://127.0.0.1:PORT.")
  String endpoint;

  @Option(
      names = "--limit",
      defaultValue = "100",
      description = "Print at most this many rows; default ${DEFAULT-VALUE}.")
  int limit;

  @Option(names = "--json", description = "Print the endpoint's JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (limit < 0) {
      err.println("--limit must be 0 or more, got " + limit);
      return 2;
    }
    URI uri;
    try {
      uri = pendingUri(endpoint);
    } catch (IllegalArgumentException e) {
      err.println(
          "--endpoint: '" + endpoint + "' is not an http(s) URL like http://127.0.0.1:8081");
      return 2;
    }
    JsonNode body;
    try {
      body = fetch(uri);
    } catch (IOException e) {
      err.println(
          "Cannot read the pending rows from "
              + uri
              + ": "
              + e.getMessage()
              + ". Is the transformer running, and is this its HTTP endpoint (http.port)?");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("Interrupted while reading " + uri);
      return 1;
    }
    if (json) {
      out.println(Json.write(body));
    } else {
      print(out, body, limit);
    }
    out.flush();
    return 0;
  }

  /** {@code base} + {@link Transformer#PENDING_PATH}; a trailing slash or the path itself is ok. */
  static URI pendingUri(String base) {
    String b = base.strip();
    while (b.endsWith("/")) {
      b = b.substring(0, b.length() - 1);
    }
    if (!b.endsWith(Transformer.PENDING_PATH)) {
      b = b + Transformer.PENDING_PATH;
    }
    URI uri = URI.create(b);
    String scheme = uri.getScheme();
    if (uri.getHost() == null
        || scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      throw new IllegalArgumentException("not an http(s) URL: " + base);
    }
    return uri;
  }

  private static JsonNode fetch(URI uri) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.net.ConnectException e) {
      throw new IOException("connection refused", e);
    } catch (java.net.http.HttpTimeoutException e) {
      throw new IOException("no answer within " + REQUEST_TIMEOUT.toSeconds() + " s", e);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new IOException(why, e);
    }
    if (response.statusCode() == 404) {
      throw new IOException(
          "no /pending route there (HTTP 404); point --endpoint at a transformer");
    }
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " " + abbreviate(response.body()));
    }
    JsonNode body;
    try {
      body = Json.parse(response.body());
    } catch (IllegalArgumentException e) {
      throw new IOException("the answer is not JSON: " + abbreviate(response.body()), e);
    }
    if (body == null || !body.has("pendingRows") || !body.path("rows").isArray()) {
      throw new IOException("the answer is not a pending-rows listing: " + abbreviate(body));
    }
    return body;
  }

  /** Prints the counts and a table of at most {@code limit} rows of {@code body}. */
  static void print(PrintWriter out, JsonNode body, int limit) {
    long pendingRows = body.path("pendingRows").asLong();
    long pendingRefs = body.path("pendingRefs").asLong();
    JsonNode rows = body.path("rows");
    out.printf(
        Locale.ROOT,
        "%d rows held for a parent, %d foreign-key lookups waiting for a parent's id%n",
        pendingRows,
        pendingRefs);
    for (JsonNode h : body.path("heldTables")) {
      out.printf(
          Locale.ROOT,
          "HELD %s: %d changes held for schema drift since %s: %s%n",
          h.path("table").asText(),
          h.path("changes").asLong(),
          h.path("sincePosition").asText(),
          h.path("reason").asText());
    }
    if (body.hasNonNull("rowsUnavailable")) {
      out.println("Rows not listed now: " + body.get("rowsUnavailable").asText());
    }
    if (rows.isEmpty()) {
      return;
    }
    List<String[]> lines = new ArrayList<>();
    lines.add(new String[] {"TABLE", "KEY", "WAITING FOR (field -> parent table key)"});
    int shown = 0;
    for (JsonNode r : rows) {
      if (shown == limit) {
        break;
      }
      List<String> waits = new ArrayList<>();
      for (JsonNode m : r.path("missing")) {
        waits.add(
            m.path("field").asText()
                + " -> "
                + m.path("parentTable").asText()
                + " "
                + m.path("parentKey").asText());
      }
      lines.add(
          new String[] {
            r.path("table").asText(),
            r.path("key").asText(),
            waits.isEmpty() ? "(an optional parent's answer)" : String.join(", ", waits)
          });
      shown++;
    }
    int w0 = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0);
    int w1 = lines.stream().mapToInt(l -> l[1].length()).max().orElse(0);
    for (String[] l : lines) {
      out.printf(Locale.ROOT, "%-" + w0 + "s  %-" + w1 + "s  %s%n", l[0], l[1], l[2]);
    }
    long notShown = Math.max(pendingRows, rows.size()) - shown;
    if (notShown > 0) {
      out.printf(
          Locale.ROOT,
          "... and %d more (--limit %d; the endpoint lists at most %d)%n",
          notShown,
          limit,
          Transformer.PENDING_LIMIT);
    }
    out.println(
        "Each row is written as soon as its parent arrives. For a parent that will never arrive:"
            + " insert it, or declare the relation optional in the mapping.");
  }

  private static String abbreviate(Object text) {
    String s = String.valueOf(text).strip();
    if (s.isEmpty()) {
      return "(empty)";
    }
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
