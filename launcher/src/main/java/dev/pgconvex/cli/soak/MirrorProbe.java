package dev.pgconvex.cli.soak;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.verify.Finding;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.MirrorVerifier;
import dev.pgconvex.verify.TableResult;
import dev.pgconvex.verify.VerifyReport;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * Compares the mirror with Postgres by content, straight against the emulator (never through the
 * fault proxy): a quick yes/no for the convergence loop ({@link MirrorVerifier}), then the
 * classified differences of the verify module's comparer ({@link MirrorCheck}: missing, extra,
 * different, wrong references) and the duplicates, counted from Convex's streaming export ({@code
 * /api/list_snapshot}): documents in a table beyond one per live key.
 */
final class MirrorProbe implements AutoCloseable {
  private final MirrorCheck.Connector pg;
  private final Mapping mapping;
  private final String convexUrl;
  private final Secret adminKey;
  private final ConvexClient convex;
  private final HttpClient export = HttpClient.newHttpClient();

  MirrorProbe(MirrorCheck.Connector pg, Mapping mapping, String convexUrl, Secret adminKey) {
    this.pg = pg;
    this.mapping = mapping;
    this.convexUrl = convexUrl;
    this.adminKey = adminKey;
    this.convex =
        new ConvexClient(convexUrl, adminKey, Duration.ofSeconds(60), Duration.ofSeconds(5), 2);
  }

  /** Counts and then every document agree with Postgres right now. */
  boolean inSync() throws SQLException, IOException {
    try (Connection c = pg.open()) {
      MirrorVerifier v = new MirrorVerifier(c, mapping, convex::query);
      boolean counts = v.counts().values().stream().allMatch(n -> n[0] == n[1]);
      return counts && v.verify().inSync();
    }
  }

  /** The differences by class, the pipeline idle. */
  Differences classify() throws SQLException, InterruptedException, IOException {
    MirrorCheck check =
        new MirrorCheck(
            pg,
            mapping,
            convex,
            new MirrorCheck.Options(1000, 2, Duration.ofSeconds(10), null, 20),
            MirrorCheck.Progress.NONE);
    VerifyReport report = check.run(List.of());
    long lost = 0;
    long extra = 0;
    long different = 0;
    long wrongRefs = 0;
    long duplicated = 0;
    StringBuilder sample = new StringBuilder();
    for (TableMapping t : mapping.tables()) {
      TableResult r = report.tables().get(t.target());
      if (r == null) {
        continue;
      }
      lost += r.count(Finding.Kind.MISSING);
      extra += r.count(Finding.Kind.EXTRA);
      different += r.count(Finding.Kind.DIFFERENT);
      wrongRefs += r.count(Finding.Kind.WRONG_REF);
      long docs = documents(t.target());
      if (docs < r.convexDocs()) {
        // live keys pointing at documents the export does not have: those documents are lost
        lost += r.convexDocs() - docs;
        sample
            .append(t.target())
            .append(": ")
            .append(r.convexDocs())
            .append(" live keys but ")
            .append(docs)
            .append(" documents; ");
      }
      duplicated += Math.max(0, docs - r.convexDocs());
      for (Finding f : r.findings()) {
        if (sample.length() < 600) {
          sample
              .append(t.target())
              .append(' ')
              .append(f.key())
              .append(": ")
              .append(f.describe())
              .append("; ");
        }
      }
    }
    String listed = sample.toString().strip();
    if (listed.endsWith(";")) {
      listed = listed.substring(0, listed.length() - 1);
    }
    return new Differences(lost, duplicated, different, extra, wrongRefs, listed);
  }

  /**
   * Classified differences.
   *
   * @param sample the first few listed, for the round's note ("" when none)
   */
  record Differences(
      long lost, long duplicated, long different, long extra, long wrongRefs, String sample) {
    boolean none() {
      return lost == 0 && duplicated == 0 && different == 0 && extra == 0 && wrongRefs == 0;
    }
  }

  // Every document of the table, whether a key row points at it or not.
  private long documents(String table) throws IOException, InterruptedException {
    long n = 0;
    String cursor = null;
    String snapshot = null;
    while (true) {
      StringBuilder q =
          new StringBuilder("/api/list_snapshot?format=json&tableName=").append(enc(table));
      if (snapshot != null) {
        q.append("&snapshot=").append(enc(snapshot));
      }
      if (cursor != null) {
        q.append("&cursor=").append(enc(cursor));
      }
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(convexUrl + q))
              .header("Authorization", "Convex " + adminKey.reveal())
              .timeout(Duration.ofSeconds(60))
              .GET()
              .build();
      HttpResponse<String> res = export.send(req, HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 200) {
        throw new IOException("list_snapshot of " + table + ": HTTP " + res.statusCode());
      }
      JsonNode page = Json.MAPPER.readTree(res.body());
      for (JsonNode v : page.path("values")) {
        if (table.equals(v.path("_table").asText(table))) {
          n++;
        }
      }
      if (!page.path("hasMore").asBoolean(false)) {
        return n;
      }
      snapshot = page.path("snapshot").asText();
      cursor = page.path("cursor").asText();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    convex.close();
  }
}
