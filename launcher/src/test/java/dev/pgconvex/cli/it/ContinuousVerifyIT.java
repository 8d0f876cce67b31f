package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.verify.ContinuousVerifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code verify.continuous.enabled}: the running pipeline verifies itself pass after pass and shows
 * a document edited by hand in {@code pgconvex_verify_mismatched_rows{table}}, with the time of the
 * last complete pass.
 */
@Timeout(300)
class ContinuousVerifyIT {
  @Test
  void aDivergenceShowsInTheGaugeAfterTheNextPass() throws Exception {
    PipelineSettings settings =
        ItSupport.sharedSettings("contverify", DemoDatabase.TABLES, DemoDatabase.RELATIONS)
            .withOverride("verify.continuous.enabled", "true")
            .withOverride("verify.continuous.rows.per.sec", "20000")
            .withOverride("verify.continuous.pause.ms", "200")
            .withOverride("verify.continuous.settle.timeout.ms", "2000")
            .withOverride("alerts.evaluation.interval.ms", "500");
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      Path functions = p.workDir().resolve("convex");
      Files.createDirectories(functions);
      Files.writeString(functions.resolve("handEdits.ts"), VerifyIT.HAND_EDITS);
      try (Connection db = p.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 41);
        demo.createSchema();
        demo.load(300);
      }
      p.startServices();
      ContinuousVerifier v = p.continuousVerifier();
      assertThat(v).isNotNull();
      // Once the snapshot is applied, a complete pass finds nothing.
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () ->
                  v.lastPassMillis() > 0
                      && v.mismatchedRows().values().stream().allMatch(n -> n == 0)
                      && p.progress().applied() >= 300);
      assertThat(metrics(p)).contains("pgconvex_verify_mismatched_rows{table=\"users\"} 0.0");
      assertThat(metrics(p)).contains("pgconvex_verify_last_pass_completed_seconds");

      JsonNode e =
          p.convex()
              .query("cdc/verify:keyDocs", Map.of("table", "users", "keys", List.of("[2]")))
              .get("entries")
              .get(0);
      p.convex()
          .mutation(
              "handEdits:patchDoc",
              Map.of("id", e.get("id").asText(), "fields", Map.of("email", "rogue@edit")));
      long before = v.lastPassMillis();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> v.lastPassMillis() > before && v.mismatchedRows().get("users") == 1);
      assertThat(metrics(p)).contains("pgconvex_verify_mismatched_rows{table=\"users\"} 1.0");
      assertThat(v.mismatchedRows().get("messages")).isZero();

      // The typed status, ./cdc status and the alert all say so.
      JsonNode served = Json.parse(get(p, Pipeline.VERIFY_PATH));
      assertThat(served.get("mismatchedRows").asLong()).isEqualTo(1);
      assertThat(served.get("mismatchedByTable").get("users").asLong()).isEqualTo(1);
      assertThat(served.get("lastPassCompletedAtMs").asLong()).isPositive();
      CliRun status = CliRun.of("status", "--endpoint", p.endpoint().url());
      assertThat(status.out)
          .containsPattern("verify +DIFFERS +last pass \\d+ s ago: 1 key\\(s\\) differ");
      JsonNode chain =
          Json.parse(CliRun.of("status", "--endpoint", p.endpoint().url(), "--json").out);
      assertThat(chain.get("verify").get("mismatchedRows").asLong()).isEqualTo(1);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(p.alerts().firing())
                      .anySatisfy(
                          a -> {
                            assertThat(a.alert()).isEqualTo("MirrorDiverged");
                            assertThat(a.reason()).contains("users 1");
                          }));

      // A document the pipeline did not write (the application writing a mirrored table): no key
      // row points at it, and the next pass counts it.
      VerifyIT.insertUserByHand(p, "written@by.app");
      long later = v.lastPassMillis();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> v.lastPassMillis() > later && v.mismatchedRows().get("users") == 2);
    }
  }

  private static String metrics(Pipeline p) throws Exception {
    return get(p, "/metrics");
  }

  private static String get(Pipeline p, String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(p.endpoint().url() + path))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return r.body();
  }
}
