package dev.pgconvex.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FaultProxyTest {
  private final MockWebServer upstream = new MockWebServer();
  private final OkHttpClient client =
      new OkHttpClient.Builder()
          .retryOnConnectionFailure(false)
          .socketFactory(new dev.pgconvex.sink.http.NoDelaySocketFactory())
          .callTimeout(Duration.ofSeconds(10))
          .build();
  private FaultProxy proxy;

  @BeforeEach
  void start() throws IOException {
    upstream.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest r) {
            return new MockResponse()
                .setResponseCode(200)
                .setHeader("Content-Type", "application/json")
                .setHeader("X-Upstream", "yes")
                .setBody(
                    "{\"status\":\"success\",\"echo\":"
                        + r.getBody().readUtf8()
                        + ",\"auth\":\""
                        + r.getHeader("Authorization")
                        + "\"}");
          }
        });
    upstream.start();
    proxy = new FaultProxy(upstream.url("/").toString(), 1, Duration.ofMillis(20));
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    upstream.shutdown();
  }

  @Test
  void withoutFaultsEveryCallIsForwardedWithItsHeadersAndBody() throws IOException {
    try (Response r = call("/api/mutation")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("X-Upstream")).isEqualTo("yes");
      assertThat(r.body().string())
          .contains("\"echo\":{\"path\":\"cdc/ingest:applyBatch\"}")
          .contains("\"auth\":\"Convex secret\"");
    }
    assertThat(proxy.forwarded()).isEqualTo(1);
    assertThat(proxy.injectedTotal()).isZero();
  }

  @Test
  void atRateOneEveryFunctionCallIsHitAndEachKindShowsUp() {
    proxy.faultRate(1);
    Map<String, Integer> seen = new java.util.HashMap<>();
    for (int i = 0; i < 80; i++) {
      String outcome;
      try (Response r = call("/api/mutation")) {
        outcome = Integer.toString(r.code());
        if (r.code() == 429) {
          assertThat(r.header("Retry-After")).isEqualTo("1");
        }
      } catch (IOException e) {
        outcome = "dropped";
      }
      seen.merge(outcome, 1, Integer::sum);
    }
    assertThat(seen).containsKeys("503", "429", "dropped", "200");
    Map<FaultProxy.Kind, Long> counts = new EnumMap<>(FaultProxy.Kind.class);
    for (FaultProxy.Kind k : FaultProxy.Kind.values()) {
      counts.put(k, proxy.injected(k));
      assertThat(proxy.injected(k)).as(k.name()).isPositive();
    }
    assertThat(proxy.injectedTotal()).isEqualTo(80);
    // latency: delayed, then forwarded with the upstream's answer
    assertThat(seen.get("200")).isEqualTo(counts.get(FaultProxy.Kind.LATENCY).intValue());
  }

  @Test
  void routesOutsideTheFunctionApiAreNeverHit() throws IOException {
    proxy.faultRate(1);
    try (Response r = call("/version")) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(proxy.injectedTotal()).isZero();
  }

  @Test
  void theRateIsRoughlyHeld() {
    proxy.faultRate(0.1);
    for (int i = 0; i < 150; i++) {
      try (Response r = call("/api/query")) {
        r.body().string();
      } catch (IOException e) {
        // a dropped connection
      }
    }
    assertThat(proxy.injectedTotal()).isBetween(3L, 35L);
  }

  @Test
  void anUnreachableUpstreamAnswers502() throws IOException {
    int port = upstream.getPort();
    upstream.shutdown();
    proxy.upstream("http://127.0.0.1:" + port);
    try (Response r = call("/api/mutation")) {
      assertThat(r.code()).isEqualTo(502);
    }
  }

  @Test
  void theRateMustBeAShare() {
    assertThatThrownBy(() -> proxy.faultRate(1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  private Response call(String path) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(proxy.url() + path)
                .header("Authorization", "Convex secret")
                .post(
                    RequestBody.create(
                        "{\"path\":\"cdc/ingest:applyBatch\"}", MediaType.get("application/json")))
                .build())
        .execute();
  }
}
