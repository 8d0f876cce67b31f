package dev.pgconvex.sink.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.http.ConvexClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checkpoint reports only what Convex says it stored. */
@Timeout(30)
class CheckpointerTest {
  private static final String P1 = "0000000000000001:00000000";
  private static final String P2 = "0000000000000002:00000000";
  private static final String P9 = "0000000000000009:00000000";

  private MockWebServer server;
  private ConvexClient client;
  private Checkpointer checkpointer;
  private final AtomicInteger calls = new AtomicInteger();
  private volatile String answer; // the mutation's value, JSON

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            calls.incrementAndGet();
            return new MockResponse().setBody("{\"status\":\"success\",\"value\":" + answer + "}");
          }
        });
    server.start();
    client =
        new ConvexClient(
            server.url("/").toString(),
            new Secret("k"),
            Duration.ofSeconds(5),
            Duration.ofSeconds(2),
            2);
    checkpointer = new Checkpointer(client, "src", 0);
  }

  @AfterEach
  void tearDown() throws Exception {
    checkpointer.close();
    client.close();
    server.shutdown();
  }

  private static String value(String status, String position) {
    return Json.write(Json.NODES.objectNode().put("status", status).put("position", position));
  }

  @Test
  void anAppliedPositionIsReported() {
    answer = value("applied", P1);
    checkpointer.offer(P1, 1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> P1.equals(checkpointer.lastCheckpoint()));
  }

  @Test
  void aSkippedPositionIsNotReportedAsStoredNorSentAgain() {
    answer = value("applied", P1);
    checkpointer.offer(P1, 1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> P1.equals(checkpointer.lastCheckpoint()));

    // Another sink (or an earlier run) stored P9: Convex keeps it and skips ours.
    answer = value("skipped", P9);
    checkpointer.offer(P2, 2000);
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 2);
    checkpointer.flush();
    assertThat(checkpointer.lastCheckpoint()).isEqualTo(P1);
    checkpointer.offer(P2, 2000);
    checkpointer.flush();
    assertThat(calls).as("an answered position is not sent again").hasValue(2);
  }

  @Test
  void theStoredCommitTimeIsReadAndZeroWhenThereIsNone() throws Exception {
    answer = "{\"position\":\"" + P2 + "\",\"commitTs\":1700000000123,\"updatedAt\":1700000000200}";
    assertThat(checkpointer.storedCommitTs()).isEqualTo(1_700_000_000_123L);
    var request = Json.parse(server.takeRequest().getBody().readUtf8());
    assertThat(request.path("path").asText()).isEqualTo("cdc/ingest:getCheckpoint");
    assertThat(request.path("args").path("source").asText()).isEqualTo("src");

    answer = "null"; // no checkpoint yet
    assertThat(checkpointer.storedCommitTs()).isZero();
    answer = "{\"position\":\"" + P2 + "\",\"commitTs\":null,\"updatedAt\":1}";
    assertThat(checkpointer.storedCommitTs()).isZero();
  }

  @Test
  void anAnswerWithoutStatusIsNotReportedAndTheNextOfferTriesAgain() {
    answer = "null";
    checkpointer.offer(P1, 1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);
    checkpointer.flush(); // the position was not confirmed: sent again
    assertThat(calls).hasValue(2);
    assertThat(checkpointer.lastCheckpoint()).isNull();

    answer = value("applied", P1);
    checkpointer.offer(P1, 1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> P1.equals(checkpointer.lastCheckpoint()));
  }
}
