package dev.pgconvex.operations.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookNotifierTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long T0 = 1_800_000_000_000L;
  private static final String PATH = "/services/T000/B000/hooktoken";

  private record Answer(int code, Map<String, String> headers) {}

  private record Received(String method, String path, String contentType, String body) {}

  private HttpServer server;
  private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<WebhookNotifier> notifiers = new ArrayList<>();

  @BeforeEach
  void startReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    notifiers.forEach(WebhookNotifier::close);
    server.stop(0);
  }

  private void handle(HttpExchange x) throws IOException {
    try (x;
        InputStream in = x.getRequestBody()) {
      String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      received.add(
          new Received(
              x.getRequestMethod(),
              x.getRequestURI().getPath(),
              x.getRequestHeaders().getFirst("Content-Type"),
              body));
      Answer a = script.poll();
      int code = a == null ? 200 : a.code();
      if (a != null) {
        a.headers().forEach((k, v) -> x.getResponseHeaders().add(k, v));
      }
      x.sendResponseHeaders(code, -1);
    }
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
  }

  private WebhookNotifier notifier(int maxAttempts) {
    WebhookNotifier n = new WebhookNotifier(url(), "pg1", Duration.ofSeconds(5), maxAttempts);
    notifiers.add(n);
    return n;
  }

  private static AlertEvent event(AlertEvent.Status status) {
    return new AlertEvent(
        "PipelineStalled",
        Severity.CRITICAL,
        status,
        "nothing applied in Convex for 120 s (above 60 s)",
        120_000,
        60_000,
        T0,
        T0 + 90_000,
        "run ./cdc status");
  }

  private static Map<String, String> fields(JsonNode body) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (JsonNode f : body.get("attachments").get(0).get("fields")) {
      out.put(f.get("title").asText(), f.get("value").asText());
      assertThat(f.get("short").asBoolean()).isTrue();
    }
    return out;
  }

  @Test
  void aFiringEventIsPostedAsSlackCompatibleJson() {
    WebhookNotifier n = notifier(2);

    n.send(event(AlertEvent.Status.FIRING));

    await().atMost(WAIT).until(() -> n.delivered() == 1);
    assertThat(n.failed()).isZero();
    assertThat(received).hasSize(1);
    Received r = received.get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo(PATH);
    assertThat(r.contentType()).isEqualTo("application/json");
    JsonNode body = Json.parse(r.body());
    assertThat(body.get("text").asText())
        .isEqualTo(
            "[FIRING] PipelineStalled (critical) on pipeline pg1: nothing applied in Convex for"
                + " 120 s (above 60 s). Fix: run ./cdc status");
    assertThat(body.get("alert").asText()).isEqualTo("PipelineStalled");
    assertThat(body.get("status").asText()).isEqualTo("firing");
    assertThat(body.get("severity").asText()).isEqualTo("critical");
    assertThat(body.get("pipeline").asText()).isEqualTo("pg1");
    assertThat(body.get("reason").asText()).contains("nothing applied in Convex");
    assertThat(body.get("value").asDouble()).isEqualTo(120_000);
    assertThat(body.get("threshold").asLong()).isEqualTo(60_000);
    assertThat(body.get("startsAt").asText()).isEqualTo(Instant.ofEpochMilli(T0).toString());
    assertThat(body.has("endsAt")).isFalse();
    assertThat(body.get("attachments").get(0).get("color").asText()).isEqualTo("danger");
    assertThat(fields(body))
        .containsEntry("alert", "PipelineStalled")
        .containsEntry("status", "firing")
        .containsEntry("severity", "critical")
        .containsEntry("pipeline", "pg1")
        .containsEntry("since", Instant.ofEpochMilli(T0).toString())
        .containsEntry("threshold", "60000");
    // The URL is a secret: the body never carries it.
    assertThat(r.body()).doesNotContain("hooktoken");
  }

  @Test
  void aResolvedEventSaysResolvedWithItsEnd() {
    WebhookNotifier n = notifier(2);

    n.send(event(AlertEvent.Status.RESOLVED));

    await().atMost(WAIT).until(() -> n.delivered() == 1);
    JsonNode body = Json.parse(received.get(0).body());
    assertThat(body.get("status").asText()).isEqualTo("resolved");
    assertThat(body.get("endsAt").asText()).isEqualTo(Instant.ofEpochMilli(T0 + 90_000).toString());
    assertThat(body.get("text").asText())
        .startsWith("[RESOLVED] PipelineStalled (critical) on pipeline pg1: ")
        .doesNotContain("Fix:");
    assertThat(body.get("attachments").get(0).get("color").asText()).isEqualTo("good");
    assertThat(fields(body)).containsEntry("status", "resolved");
  }

  @Test
  void aRepeatIsStillFiring() {
    WebhookNotifier n = notifier(2);

    n.send(event(AlertEvent.Status.REPEAT));

    await().atMost(WAIT).until(() -> n.delivered() == 1);
    JsonNode body = Json.parse(received.get(0).body());
    assertThat(body.get("status").asText()).isEqualTo("firing");
    assertThat(body.get("text").asText()).startsWith("[STILL FIRING] PipelineStalled");
    assertThat(body.has("endsAt")).isFalse();
  }

  @Test
  void aServiceUnavailableIsRetriedAndDeliveredOnce() {
    script.add(new Answer(503, Map.of()));
    WebhookNotifier n = notifier(3);

    n.send(event(AlertEvent.Status.FIRING));

    await().atMost(WAIT).until(() -> n.delivered() == 1);
    assertThat(n.failed()).isZero();
    assertThat(received).hasSize(2);
    assertThat(received.get(1).body()).isEqualTo(received.get(0).body());
  }

  @Test
  void aNotFoundIsGivenUpAfterOneAttempt() {
    script.add(new Answer(404, Map.of()));
    WebhookNotifier n = notifier(3);

    n.send(event(AlertEvent.Status.FIRING));

    await().atMost(WAIT).until(() -> n.failed() == 1);
    // failed() counts once the message's last attempt is over: no request can follow.
    assertThat(n.delivered()).isZero();
    assertThat(received).hasSize(1);
  }

  @Test
  void tooManyRequestsWithRetryAfterIsRetried() {
    script.add(new Answer(429, Map.of("Retry-After", "0")));
    script.add(new Answer(429, Map.of("Retry-After", "0")));
    WebhookNotifier n = notifier(3);

    n.send(event(AlertEvent.Status.FIRING));

    await().atMost(WAIT).until(() -> n.delivered() == 1);
    assertThat(n.failed()).isZero();
    assertThat(received).hasSize(3);
  }

  @Test
  void aMessageIsGivenUpAfterMaxAttempts() {
    for (int i = 0; i < 5; i++) {
      script.add(new Answer(500, Map.of("Retry-After", "0")));
    }
    WebhookNotifier n = notifier(3);

    n.send(event(AlertEvent.Status.FIRING));

    await().atMost(WAIT).until(() -> n.failed() == 1);
    assertThat(n.delivered()).isZero();
    assertThat(received).hasSize(3);
  }

  @Test
  void anUnreachableWebhookIsGivenUp() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: connections to it are refused
    }
    WebhookNotifier dead =
        new WebhookNotifier("http://127.0.0.1:" + port + "/hook", "pg1", Duration.ofSeconds(5), 2);
    notifiers.add(dead);

    dead.send(event(AlertEvent.Status.FIRING));

    await().atMost(WAIT).until(() -> dead.failed() == 1);
    assertThat(dead.delivered()).isZero();
  }

  @Test
  void aWebhookThatNeverAnswersTimesOutAndTheNextMessageStillGoesOut() throws IOException {
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      // Listening (the kernel completes the connection) but never read: every call times out.
      WebhookNotifier slow =
          new WebhookNotifier(
              "http://127.0.0.1:" + silent.getLocalPort() + "/hook",
              "pg1",
              Duration.ofMillis(300),
              1);
      notifiers.add(slow);

      slow.send(event(AlertEvent.Status.FIRING));
      slow.send(event(AlertEvent.Status.RESOLVED));

      await().atMost(WAIT).until(() -> slow.failed() == 2);
      assertThat(slow.delivered()).isZero();
    }
  }

  @Test
  void messagesGoOutInOrder() {
    script.add(new Answer(503, Map.of("Retry-After", "0"))); // the first needs a retry
    WebhookNotifier n = notifier(3);

    n.send(event(AlertEvent.Status.FIRING));
    n.send(event(AlertEvent.Status.REPEAT));
    n.send(event(AlertEvent.Status.RESOLVED));

    await().atMost(WAIT).until(() -> n.delivered() == 3);
    assertThat(received)
        .extracting(r -> Json.parse(r.body()).get("text").asText().split("]")[0])
        .containsExactly("[FIRING", "[FIRING", "[STILL FIRING", "[RESOLVED");
  }

  @Test
  void closeSendsWhatIsQueued() {
    WebhookNotifier n = notifier(2);
    n.send(event(AlertEvent.Status.FIRING));
    n.send(event(AlertEvent.Status.RESOLVED));

    n.close();

    assertThat(n.delivered()).isEqualTo(2);
    assertThat(received).hasSize(2);
  }
}
