package dev.pgconvex.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.StageState;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The dashboard over HTTP, reading a fake stage endpoint: the routes, the token, the reading. */
@Timeout(60)
class DashboardServerTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  private HttpServer stage;

  @BeforeEach
  void fakeStage() throws IOException {
    stage = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    stage.createContext(
        "/status",
        ex ->
            reply(
                ex,
                Json.write(
                    Map.of(
                        "stages",
                        Map.of(
                            "source",
                            DashboardModelTest.source(StageState.RUNNING),
                            "transformer",
                            DashboardModelTest.transformer(StageState.RUNNING, 0, null),
                            "sink",
                            DashboardModelTest.sink(StageState.RUNNING, 420L, null))))));
    stage.createContext(
        "/metrics",
        ex ->
            reply(
                ex,
                "# TYPE pgconvex_sink_ops_applied_total counter\n"
                    + "pgconvex_sink_ops_applied_total{table=\"users\"} 40.0\n"
                    + "pgconvex_sink_ops_applied_total{table=\"posts\"} 2.0\n"
                    + "pgconvex_source_events_total{op=\"c\",table=\"public.users\"} 44.0\n"
                    + "pgconvex_sink_dead_letters_total{reason=\"rejected\",table=\"users\"} 2.0\n"
                    + "pgconvex_sink_dead_letters_total{reason=\"rejected\",table=\"posts\"} 1.0\n"
                    + "pgconvex_transformer_dead_letters_total{reason=\"orphan\",table=\"posts\"} 0.0\n"));
    stage.start();
  }

  @AfterEach
  void stop() {
    stage.stop(0);
  }

  private static void reply(HttpExchange ex, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private String stageUrl() {
    return "http://127.0.0.1:" + stage.getAddress().getPort();
  }

  private static HttpResponse<String> get(String url, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withATokenThePageAndItsJsonAnswer401WithoutIt() throws Exception {
    Dashboard d =
        new Dashboard(new EndpointReader(List.of(stageUrl())), new Secret("s3cret"), 200, null);
    try (DashboardServer server = new DashboardServer(d, "127.0.0.1", 0)) {
      String page = server.url();
      for (String path : List.of("", "state.json", "app.js", "app.css", "pending.json")) {
        HttpResponse<String> r = get(page + path, null);
        assertThat(r.statusCode()).as(path).isEqualTo(401);
        assertThat(r.body()).doesNotContain("s3cret");
        assertThat(get(page + path + "?token=wrong", null).statusCode()).as(path).isEqualTo(401);
        assertThat(get(page + path, "wrong").statusCode()).as(path).isEqualTo(401);
      }
      HttpResponse<String> withQuery = get(page + "?token=s3cret", null);
      assertThat(withQuery.statusCode()).isEqualTo(200);
      assertThat(withQuery.body()).contains("<script src=\"app.js\"");
      assertThat(withQuery.headers().firstValue("Content-Security-Policy"))
          .get()
          .asString()
          .contains("default-src 'none'");
      assertThat(get(page + "state.json", "s3cret").statusCode()).isEqualTo(200);
      // a browser that opened the page with ?token= loads its assets and JSON with the cookie
      String cookie = withQuery.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(cookie)
          .contains("HttpOnly")
          .contains("SameSite=Strict")
          .contains("Path=/dashboard");
      String pair = cookie.split(";")[0];
      for (String path : List.of("app.js", "state.json")) {
        HttpRequest withCookie =
            HttpRequest.newBuilder(URI.create(page + path))
                .header("Cookie", "a=b; " + pair)
                .build();
        assertThat(HTTP.send(withCookie, HttpResponse.BodyHandlers.discarding()).statusCode())
            .as(path)
            .isEqualTo(200);
        HttpRequest wrong =
            HttpRequest.newBuilder(URI.create(page + path))
                .header("Cookie", Dashboard.COOKIE + "=wrong")
                .build();
        assertThat(HTTP.send(wrong, HttpResponse.BodyHandlers.discarding()).statusCode())
            .as(path)
            .isEqualTo(401);
      }
      assertThat(get(page + "app.js?token=s3cret", null).statusCode()).isEqualTo(200);
      // the root sends a browser to the page, keeping the token
      HttpResponse<String> root = get(page.replace("/dashboard/", "/") + "?token=s3cret", null);
      assertThat(root.statusCode()).isEqualTo(302);
      assertThat(root.headers().firstValue("Location")).contains("/dashboard/?token=s3cret");
      assertThat(get(page + "nothing.txt", "s3cret").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void withoutATokenThePageIsOpenAndReadsTheStagesAndTheirMetrics() throws Exception {
    Dashboard d = new Dashboard(new EndpointReader(List.of(stageUrl())), new Secret(""), 200, null);
    try (DashboardServer server = new DashboardServer(d, "127.0.0.1", 0)) {
      assertThat(get(server.url(), null).statusCode()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  Json.parse(get(server.url() + "state.json", null).body()).at("/history/t").size()
                      >= 3);
      JsonNode s = Json.parse(get(server.url() + "state.json", null).body());
      assertThat(s.at("/verdict/word").asText()).isEqualTo("caught up");
      assertThat(s.at("/summary/lag/text").asText()).isEqualTo("420 ms");
      assertThat(s.at("/summary/applied/total").asLong()).isEqualTo(42);
      assertThat(s.at("/summary/captured/total").asLong()).isEqualTo(44);
      assertThat(s.at("/summary/applied/text").asText()).isEqualTo("0/s"); // counters still
      assertThat(s.at("/deadLetters/total").asLong()).isEqualTo(3);
      assertThat(s.at("/deadLetters/groups")).hasSize(1); // a zero counter is no group
      assertThat(s.at("/deadLetters/groups/0/tables"))
          .extracting(JsonNode::asText)
          .containsExactly("posts", "users");
      // a deployed stage serves no /tables: unknown, and said so
      assertThat(s.at("/tables/known").asBoolean()).isFalse();
    }
  }

  @Test
  void aDashboardBeyondLoopbackNeedsAToken() {
    assertThat(DashboardServer.exposureProblem("127.0.0.1", false)).isNull();
    assertThat(DashboardServer.exposureProblem("localhost", false)).isNull();
    assertThat(DashboardServer.exposureProblem("0.0.0.0", true)).isNull();
    assertThat(DashboardServer.exposureProblem("0.0.0.0", false))
        .contains("dashboard.token")
        .contains("DASHBOARD_TOKEN");
  }

  @Test
  void theTokenKeyIsASecretFromTheEnvironmentOrAFile() {
    var c =
        DashboardConfig.definition()
            .parse(Map.of(), name -> name.equals("DASHBOARD_TOKEN") ? "from-env" : null);
    assertThat(c.getSecret(DashboardConfig.TOKEN).reveal()).isEqualTo("from-env");
    assertThat(c.getString(DashboardConfig.BIND_ADDRESS)).isEqualTo("127.0.0.1");
    assertThat(c.toString()).doesNotContain("from-env");
  }
}
