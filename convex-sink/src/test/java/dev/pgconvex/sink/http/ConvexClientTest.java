package dev.pgconvex.sink.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class ConvexClientTest {
  static final String KEY = "convex-self-hosted|01deadbeefSECRETKEY42";

  MockWebServer server;
  ConvexClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
    client =
        new ConvexClient(
            server.url("/").toString(),
            new Secret(KEY),
            Duration.ofMillis(500),
            Duration.ofSeconds(2),
            4);
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.shutdown();
  }

  static MockResponse json(int code, String body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(body);
  }

  @Test
  void successReturnsTheValueAndSendsTheContractBody() throws Exception {
    server.enqueue(
        json(200, "{\"status\":\"success\",\"value\":{\"results\":[]},\"logLines\":[]}"));

    JsonNode value = client.mutation("cdc/ingest:applyBatch", Map.of("ops", java.util.List.of()));

    assertThat(value.path("results").isArray()).isTrue();
    RecordedRequest req = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(req.getMethod()).isEqualTo("POST");
    assertThat(req.getPath()).isEqualTo("/api/mutation");
    assertThat(req.getHeader("Authorization")).isEqualTo("Convex " + KEY);
    assertThat(Json.parse(req.getBody().readUtf8()))
        .isEqualTo(
            Json.parse(
                "{\"path\":\"cdc/ingest:applyBatch\",\"args\":{\"ops\":[]},\"format\":\"json\"}"));
  }

  @Test
  void queryGoesToApiQuery() throws Exception {
    server.enqueue(json(200, "{\"status\":\"success\",\"value\":null}"));
    assertThat(client.query("cdc/ingest:getCheckpoint", Map.of("source", "x")).isNull()).isTrue();
    assertThat(server.takeRequest(5, TimeUnit.SECONDS).getPath()).isEqualTo("/api/query");
  }

  @Test
  void rateLimitedWithRetryAfterSeconds() {
    server.enqueue(
        json(429, "{\"code\":\"TooManyConcurrentRequests\",\"message\":\"slow down\"}")
            .setHeader("Retry-After", "3"));
    Throwable t = catchThrowable(() -> client.mutation("f:g", Map.of()));
    assertThat(t).isInstanceOf(ConvexRateLimitedException.class);
    ConvexRateLimitedException e = (ConvexRateLimitedException) t;
    assertThat(e.retriable()).isTrue();
    assertThat(e.reason()).isEqualTo("rate_limited");
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(3));
    assertThat(e.getMessage()).contains("slow down");
  }

  @Test
  void rateLimitedWithoutRetryAfter() {
    server.enqueue(json(429, "{\"code\":\"x\",\"message\":\"y\"}"));
    Throwable t = catchThrowable(() -> client.mutation("f:g", Map.of()));
    assertThat(t).isInstanceOf(ConvexRateLimitedException.class);
    assertThat(((ConvexRateLimitedException) t).retryAfter()).isEmpty();
  }

  @Test
  void retryAfterAsHttpDate() {
    Instant now = Instant.parse("2026-11-22T00:00:00Z");
    String date =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(7).atZone(ZoneOffset.UTC));
    assertThat(ConvexClient.parseRetryAfter(date, now)).isEqualTo(Duration.ofSeconds(7));
    assertThat(ConvexClient.parseRetryAfter("garbage", now)).isNull();
    assertThat(ConvexClient.parseRetryAfter(null, now)).isNull();
    assertThat(ConvexClient.parseRetryAfter("100000", now)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void unavailableAndServerErrorsAreRetriable() {
    server.enqueue(
        json(503, "{\"code\":\"OptimisticConcurrencyControlFailure\",\"message\":\"occ\"}"));
    server.enqueue(json(500, "{\"code\":\"InternalServerError\",\"message\":\"boom\"}"));
    server.enqueue(json(408, "{\"code\":\"Timeout\",\"message\":\"t\"}"));
    assertThat(catchThrowable(() -> client.mutation("f:g", Map.of())))
        .isInstanceOfSatisfying(
            ConvexRetriableException.class,
            e -> {
              assertThat(e.reason()).isEqualTo("unavailable");
              assertThat(e.httpStatus()).isEqualTo(503);
            });
    assertThat(catchThrowable(() -> client.mutation("f:g", Map.of())))
        .isInstanceOfSatisfying(
            ConvexRetriableException.class, e -> assertThat(e.reason()).isEqualTo("server_error"));
    assertThat(catchThrowable(() -> client.mutation("f:g", Map.of())))
        .isInstanceOfSatisfying(
            ConvexRetriableException.class,
            e -> assertThat(e.reason()).isEqualTo("request_timeout"));
  }

  @Test
  void stallPastTheTimeoutIsARetriableTimeout() {
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    long start = System.nanoTime();
    Throwable t = catchThrowable(() -> client.mutation("f:g", Map.of()));
    assertThat(t)
        .isInstanceOfSatisfying(
            ConvexRetriableException.class, e -> assertThat(e.reason()).isEqualTo("timeout"));
    assertThat(t.getCause()).isNotNull();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void droppedConnectionsAreRetriable() {
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AT_START));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    for (int i = 0; i < 2; i++) {
      assertThat(catchThrowable(() -> client.mutation("f:g", Map.of())))
          .isInstanceOfSatisfying(
              ConvexRetriableException.class,
              e -> {
                assertThat(e.reason()).isIn("connection", "timeout");
                assertThat(e.getCause()).isNotNull();
              });
    }
  }

  @Test
  void functionErrorWith200Or560IsRejected() {
    server.enqueue(
        json(
            200,
            "{\"status\":\"error\",\"errorMessage\":\"Uncaught ConvexError: op 1: bad\","
                + "\"errorData\":{\"code\":\"INVALID_OP\",\"index\":1}}"));
    server.enqueue(json(560, "{\"status\":\"error\",\"errorMessage\":\"Server Error\"}"));
    assertThat(catchThrowable(() -> client.mutation("f:g", Map.of())))
        .isInstanceOfSatisfying(
            ConvexRejectedException.class,
            e -> {
              assertThat(e.retriable()).isFalse();
              assertThat(e.httpStatus()).isEqualTo(200);
              assertThat(e.errorMessage()).contains("op 1: bad");
              assertThat(e.errorData().path("code").asText()).isEqualTo("INVALID_OP");
            });
    assertThat(catchThrowable(() -> client.mutation("f:g", Map.of())))
        .isInstanceOfSatisfying(
            ConvexRejectedException.class, e -> assertThat(e.httpStatus()).isEqualTo(560));
  }

  @Test
  void badRequestIsRejected() {
    server.enqueue(json(400, "{\"code\":\"BadJsonBody\",\"message\":\"invalid\"}"));
    assertThatThrownBy(() -> client.mutation("f:g", Map.of()))
        .isInstanceOf(ConvexRejectedException.class)
        .hasMessageContaining("BadJsonBody");
  }

  @Test
  void notFoundIsFatal() {
    server.enqueue(json(404, "{\"code\":\"NotFound\",\"message\":\"no such function\"}"));
    assertThatThrownBy(() -> client.mutation("f:g", Map.of()))
        .isInstanceOf(ConvexFatalException.class)
        .hasMessageContaining("deploy");
  }

  @Test
  void unauthorizedNeverShowsTheKeyInMessagesOrLogs() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    Throwable t401;
    Throwable t403;
    Throwable t400;
    try {
      // A misbehaving proxy echoing the header must not leak it either.
      server.enqueue(json(401, "{\"code\":\"BadAdminKey\",\"message\":\"bad key " + KEY + "\"}"));
      server.enqueue(json(403, "{\"code\":\"Forbidden\",\"message\":\"" + KEY + "\"}"));
      server.enqueue(json(400, "{\"code\":\"Bad\",\"message\":\"echo " + KEY + "\"}"));
      t401 = catchThrowable(() -> client.mutation("f:g", Map.of()));
      t403 = catchThrowable(() -> client.mutation("f:g", Map.of()));
      t400 = catchThrowable(() -> client.mutation("f:g", Map.of()));
    } finally {
      System.setErr(original);
    }
    assertThat(t401)
        .isInstanceOf(ConvexAuthException.class)
        .hasMessage(
            "Convex rejected the admin key (401): check convex.admin.key / CONVEX_ADMIN_KEY; the"
                + " key is not shown");
    assertThat(t403).isInstanceOf(ConvexAuthException.class).hasMessageContaining("(403)");
    for (Throwable t : new Throwable[] {t401, t403, t400}) {
      assertThat(t.toString()).doesNotContain(KEY).doesNotContain("SECRETKEY");
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log).contains("/api/mutation"); // the logging interceptor did log the calls
    assertThat(log).doesNotContain("SECRETKEY");
  }

  @Test
  void interruptStopsTheCallAndKeepsTheFlag() throws Exception {
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    ConvexClient slow =
        new ConvexClient(
            server.url("/").toString(),
            new Secret(KEY),
            Duration.ofSeconds(30),
            Duration.ofSeconds(2),
            2);
    Throwable[] seen = new Throwable[1];
    boolean[] flag = new boolean[1];
    Thread t =
        new Thread(
            () -> {
              seen[0] = catchThrowable(() -> slow.mutation("f:g", Map.of()));
              flag[0] = Thread.currentThread().isInterrupted();
            });
    t.start();
    server.takeRequest(5, TimeUnit.SECONDS);
    t.interrupt();
    t.join(5000);
    slow.close();
    assertThat(seen[0]).isInstanceOf(ConvexInterruptedException.class);
    assertThat(seen[0].getCause()).isNotNull();
    assertThat(flag[0]).isTrue();
  }

  @Test
  void socketsHaveTcpNoDelay() throws Exception {
    try (Socket s = new NoDelaySocketFactory().createSocket()) {
      assertThat(s.getTcpNoDelay()).isTrue();
    }
    try (Socket s =
        new NoDelaySocketFactory().createSocket(server.getHostName(), server.getPort())) {
      assertThat(s.getTcpNoDelay()).isTrue();
    }
  }
}
