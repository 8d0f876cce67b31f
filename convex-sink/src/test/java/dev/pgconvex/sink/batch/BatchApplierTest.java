package dev.pgconvex.sink.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.http.ConvexAuthException;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexInterruptedException;
import dev.pgconvex.sink.internals.BatchEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
public class BatchApplierTest {
  MockWebServer server;
  ConvexClient client;
  AimdLimiter limiter;
  final List<String> retries = new CopyOnWriteArrayList<>();
  final AtomicInteger splits = new AtomicInteger();
  final AtomicInteger calls = new AtomicInteger();

  /** Responses served before the fake applyBatch, one per call. */
  final Queue<MockResponse> failures = new ConcurrentLinkedQueue<>();

  BatchApplier applier;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            calls.incrementAndGet();
            MockResponse failure = failures.poll();
            return failure != null ? failure : fakeApplyBatch(request);
          }

          // MockWebServer asks peek() for DISCONNECT_AT_START before reading a request.
          @Override
          public MockResponse peek() {
            MockResponse next = failures.peek();
            return next != null ? next : super.peek();
          }
        });
    server.start();
    client =
        new ConvexClient(
            server.url("/").toString(),
            new Secret("k"),
            Duration.ofMillis(400),
            Duration.ofSeconds(2),
            4);
    limiter = new AimdLimiter(8);
    applier =
        new BatchApplier(
            client,
            limiter,
            new Backoff(1, 20),
            new BatchEvents() {
              @Override
              public void onRetry(String reason) {
                retries.add(reason);
              }

              @Override
              public void onSplit() {
                splits.incrementAndGet();
              }
            });
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.shutdown();
  }

  /**
   * A stand-in for cdc/ingest:applyBatch: a key "poison" fails the whole batch with a function
   * error; a patch of key "[0]" finds no document; a marker confirmation is confirmed; a key with
   * "noid" is applied but answered without an id (functions that break the contract); everything
   * else is applied with id "id-key".
   */
  public static MockResponse fakeApplyBatch(RecordedRequest request) {
    JsonNode body = Json.parse(request.getBody().clone().readUtf8());
    if (body.path("path").asText().equals(BatchApplier.CONFIRM_MARKER)) {
      return new MockResponse()
          .setBody("{\"status\":\"success\",\"value\":{\"status\":\"confirmed\"}}");
    }
    ArrayNode ops = (ArrayNode) body.path("args").path("ops");
    ArrayNode results = Json.NODES.arrayNode();
    for (JsonNode op : ops) {
      if (op.path("key").asText().contains("poison")) {
        return new MockResponse()
            .setBody(
                "{\"status\":\"error\",\"errorMessage\":\"Uncaught ConvexError: field x is not a"
                    + " number\"}");
      }
      ObjectNode r = results.addObject();
      if (op.path("op").asText().equals("patch") && op.path("key").asText().equals("[0]")) {
        r.put("status", "missing").putNull("id");
      } else if (op.path("op").asText().equals("delete")
          || op.path("key").asText().contains("noid")) {
        r.put("status", "applied").putNull("id");
      } else {
        r.put("status", "applied").put("id", "id-" + op.path("key").asText());
      }
    }
    ObjectNode value = Json.NODES.objectNode();
    value.set("results", results);
    ObjectNode resp = Json.NODES.objectNode().put("status", "success");
    resp.set("value", value);
    return new MockResponse().setBody(Json.write(resp));
  }

  static PendingOp op(long offset, String kind, String key) {
    String doc = kind.equals("delete") ? "" : ",\"doc\":{\"n\":" + offset + "}";
    return PendingOp.parse(
        "ops",
        0,
        offset,
        "items/" + key,
        "{\"table\":\"items\",\"key\":\""
            + key.replace("\"", "\\\"")
            + "\",\"op\":\""
            + kind
            + "\",\"position\":\"00000000000000"
            + String.format("%02X", offset)
            + ":00000000\",\"commitTs\":"
            + (1000 + offset)
            + doc
            + "}");
  }

  /** The heartbeat op the transformer writes to partition {@code partition}. */
  static PendingOp heartbeat(long offset, int partition) {
    return PendingOp.parse(
        "ops",
        partition,
        offset,
        "_heartbeat/" + partition,
        Json.write(
            dev.pgconvex.common.model.Operation.heartbeat(
                partition,
                "00000000000000" + String.format("%02X", offset) + ":00000000",
                1000 + offset)));
  }

  /** The marker op the transformer writes to partition {@code partition}. */
  static PendingOp marker(long offset, int partition, String id, long held) {
    ObjectNode doc =
        Json.NODES
            .objectNode()
            .put("pipeline", "p")
            .put("id", id)
            .put("lsn", offset)
            .put("held", held)
            .put("sourceAt", 10)
            .put("transformerAt", 20);
    return PendingOp.parse(
        "ops",
        partition,
        offset,
        "_marker/" + partition,
        Json.write(
            dev.pgconvex.common.model.Operation.marker(
                partition,
                "00000000000000" + String.format("%02X", offset) + ":00000000",
                1000 + offset,
                doc)));
  }

  static List<PendingOp> upserts(int n) {
    List<PendingOp> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ops.add(op(i, "upsert", "[" + (i + 1) + "]"));
    }
    return ops;
  }

  @Test
  void appliesABatchInOneCallPassingOpsThrough() throws Exception {
    List<OpOutcome> out = applier.apply(upserts(5));
    assertThat(out).extracting(OpOutcome::status).containsOnly(OpOutcome.Status.APPLIED);
    assertThat(out)
        .extracting(OpOutcome::id)
        .containsExactly("id-[1]", "id-[2]", "id-[3]", "id-[4]", "id-[5]");
    assertThat(calls).hasValue(1);
    JsonNode sent = Json.parse(server.takeRequest(1, TimeUnit.SECONDS).getBody().readUtf8());
    assertThat(sent.path("path").asText()).isEqualTo("cdc/ingest:applyBatch");
    assertThat(sent.path("args").path("ops").get(2))
        .isEqualTo(
            Json.parse(
                "{\"table\":\"items\",\"key\":\"[3]\",\"op\":\"upsert\",\"position\":"
                    + "\"0000000000000002:00000000\",\"commitTs\":1002,\"doc\":{\"n\":2}}"));
  }

  @Test
  void aBatchOfHeartbeatsOnlyMakesNoCall() throws Exception {
    List<OpOutcome> out = applier.apply(List.of(heartbeat(0, 0), heartbeat(1, 0)));

    assertThat(out)
        .extracting(OpOutcome::status)
        .containsExactly(OpOutcome.Status.HEARTBEAT, OpOutcome.Status.HEARTBEAT);
    assertThat(out).extracting(OpOutcome::id).containsOnlyNulls();
    assertThat(calls).hasValue(0);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void aMixedBatchSendsOnlyItsRowOpsInOneCall() throws Exception {
    List<OpOutcome> out =
        applier.apply(
            List.of(
                op(0, "upsert", "[1]"), heartbeat(1, 0), op(2, "upsert", "[2]"), heartbeat(3, 0)));

    assertThat(calls).hasValue(1);
    JsonNode sent = Json.parse(server.takeRequest(1, TimeUnit.SECONDS).getBody().readUtf8());
    assertThat(sent.path("args").path("ops")).hasSize(2);
    assertThat(sent.path("args").path("ops"))
        .allSatisfy(op -> assertThat(op.path("op").asText()).isEqualTo("upsert"));
    assertThat(sent.toString()).doesNotContain("heartbeat");
    assertThat(out)
        .extracting(o -> o.op().offset(), OpOutcome::status)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(0L, OpOutcome.Status.APPLIED),
            org.assertj.core.groups.Tuple.tuple(1L, OpOutcome.Status.HEARTBEAT),
            org.assertj.core.groups.Tuple.tuple(2L, OpOutcome.Status.APPLIED),
            org.assertj.core.groups.Tuple.tuple(3L, OpOutcome.Status.HEARTBEAT));
  }

  @Test
  void aMarkerIsConfirmedInConvexOnlyAfterTheOpsBeforeItAreApplied() throws Exception {
    List<OpOutcome> out =
        applier.apply(
            List.of(op(0, "upsert", "[1]"), marker(1, 3, "c/1", 2), op(2, "upsert", "[2]")));

    assertThat(out)
        .extracting(OpOutcome::status)
        .containsExactly(
            OpOutcome.Status.APPLIED, OpOutcome.Status.MARKER, OpOutcome.Status.APPLIED);
    List<JsonNode> sent = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sent.add(Json.parse(server.takeRequest(1, TimeUnit.SECONDS).getBody().readUtf8()));
    }
    assertThat(sent)
        .extracting(r -> r.path("path").asText())
        .containsExactly(
            "cdc/ingest:applyBatch", "cdc/markers:confirmMarker", "cdc/ingest:applyBatch");
    JsonNode args = sent.get(1).path("args");
    assertThat(args.path("pipeline").asText()).isEqualTo("p");
    assertThat(args.path("marker").asText()).isEqualTo("c/1");
    assertThat(args.path("partition").asInt()).isEqualTo(3);
    assertThat(args.path("held").asLong()).isEqualTo(2);
    assertThat(args.path("position").asText()).isEqualTo("0000000000000001:00000000");
    assertThat(args.path("sourceAt").asLong()).isEqualTo(10);
    assertThat(args.path("transformerAt").asLong()).isEqualTo(20);
  }

  @Test
  void aRefusedMarkerConfirmationIsCountedAndTheSinkGoesOn() {
    AtomicInteger refused = new AtomicInteger();
    BatchApplier counting =
        new BatchApplier(
            client,
            limiter,
            new Backoff(1, 20),
            new BatchEvents() {
              @Override
              public void onMarker(boolean confirmed) {
                if (!confirmed) {
                  refused.incrementAndGet();
                }
              }
            });
    failures.add(
        new MockResponse()
            .setBody(
                "{\"status\":\"error\",\"errorMessage\":\"Could not find public function for"
                    + " 'cdc/markers:confirmMarker'\"}"));

    List<OpOutcome> out = counting.apply(List.of(marker(0, 0, "c/2", 0), op(1, "upsert", "[1]")));

    assertThat(out)
        .extracting(OpOutcome::status)
        .containsExactly(OpOutcome.Status.MARKER, OpOutcome.Status.APPLIED);
    assertThat(refused).hasValue(1);
  }

  @Test
  void retriesTransientFailuresThenSucceeds() {
    failures.add(
        new MockResponse()
            .setResponseCode(503)
            .setBody("{\"code\":\"Overloaded\",\"message\":\"busy\"}"));
    failures.add(
        new MockResponse().setResponseCode(500).setBody("{\"code\":\"x\",\"message\":\"y\"}"));
    failures.add(
        new MockResponse().setResponseCode(408).setBody("{\"code\":\"t\",\"message\":\"t\"}"));
    failures.add(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    failures.add(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));

    List<OpOutcome> out = applier.apply(upserts(3));

    assertThat(out).extracting(OpOutcome::status).containsOnly(OpOutcome.Status.APPLIED);
    assertThat(calls).hasValue(6);
    assertThat(retries)
        .hasSize(5)
        .contains("unavailable", "server_error", "request_timeout", "timeout");
    assertThat(limiter.limit()).isEqualTo(8.0);
  }

  @Test
  void rateLimitHonoursRetryAfterAndLowersTheLimit() {
    failures.add(
        new MockResponse()
            .setResponseCode(429)
            .setHeader("Retry-After", "1")
            .setBody("{\"code\":\"TooManyWrites\",\"message\":\"slow\"}"));
    failures.add(
        new MockResponse().setResponseCode(429).setBody("{\"code\":\"x\",\"message\":\"y\"}"));
    long start = System.nanoTime();

    List<OpOutcome> out = applier.apply(upserts(2));

    assertThat(out).extracting(OpOutcome::status).containsOnly(OpOutcome.Status.APPLIED);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(950));
    assertThat(retries).containsExactly("rate_limited", "rate_limited");
    assertThat(limiter.limit()).isLessThan(8.0);
  }

  @Test
  void poisonOpInTheMiddleIsIsolatedByHalvingAndTheRestApplied() {
    List<PendingOp> ops = upserts(9);
    ops.set(5, op(5, "upsert", "[\"poison\"]"));

    List<OpOutcome> out = applier.apply(ops);

    assertThat(out)
        .extracting(o -> o.op().offset())
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(out.get(5).status()).isEqualTo(OpOutcome.Status.DEAD_LETTER);
    assertThat(out.get(5).reason())
        .contains("items/[\"poison\"]")
        .contains("field x is not a number")
        .contains("fix the row");
    assertThat(out.stream().filter(o -> o.status() == OpOutcome.Status.APPLIED)).hasSize(8);
    assertThat(splits.get()).isBetween(3, 4); // 9 -> 4|5 -> 2|3 -> 1|2 -> 1|1
    assertThat(retries).isEmpty();
  }

  @Test
  void missingPatchAndUnreadableRecordsAreDeadLetteredInPlace() {
    List<PendingOp> ops = new ArrayList<>(upserts(2));
    ops.add(op(2, "patch", "[0]"));
    ops.add(PendingOp.parse("ops", 0, 3, "items/[9]", "{garbage"));
    ops.add(op(4, "delete", "[1]"));

    List<OpOutcome> out = applier.apply(ops);

    assertThat(out)
        .extracting(OpOutcome::status)
        .containsExactly(
            OpOutcome.Status.APPLIED,
            OpOutcome.Status.APPLIED,
            OpOutcome.Status.MISSING,
            OpOutcome.Status.DEAD_LETTER,
            OpOutcome.Status.APPLIED);
    assertThat(out.get(2).reason()).contains("patch of items/[0]").contains("found no document");
    assertThat(out.get(3).reason()).contains("not an operation");
    assertThat(out.get(4).id()).isNull();
  }

  @Test
  void unauthorizedStopsWithoutRetrying() {
    failures.add(
        new MockResponse()
            .setResponseCode(401)
            .setBody("{\"code\":\"BadAdminKey\",\"message\":\"no\"}"));
    Throwable t = catchThrowable(() -> applier.apply(upserts(2)));
    assertThat(t).isInstanceOf(ConvexAuthException.class);
    assertThat(calls).hasValue(1);
  }

  @Test
  void interruptStopsRetryingAndRestoresTheFlag() throws Exception {
    for (int i = 0; i < 1000; i++) {
      failures.add(
          new MockResponse().setResponseCode(503).setBody("{\"code\":\"x\",\"message\":\"y\"}"));
    }
    Throwable[] seen = new Throwable[1];
    boolean[] flag = new boolean[1];
    Thread t =
        new Thread(
            () -> {
              seen[0] = catchThrowable(() -> applier.apply(upserts(2)));
              flag[0] = Thread.currentThread().isInterrupted();
            });
    t.start();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> retries.size() >= 3);
    t.interrupt();
    t.join(5000);
    assertThat(t.isAlive()).isFalse();
    assertThat(seen[0]).isInstanceOf(ConvexInterruptedException.class);
    assertThat(seen[0].getCause()).isNotNull();
    assertThat(flag[0]).isTrue();
  }
}
