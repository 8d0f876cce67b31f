package dev.pgconvex.common.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.service.Service;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ServiceEndpointTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A stage whose health and state the test sets. */
  private static final class FakeSink implements Service {
    final AtomicReference<StageState> state = new AtomicReference<>(StageState.STARTING);

    @Override
    public String name() {
      return "sink";
    }

    @Override
    public void start() {}

    @Override
    public Health health() {
      return state.get() == StageState.FAILED ? Health.down("401") : Health.up("ok");
    }

    @Override
    public Optional<StageStatus> status() {
      return Optional.of(
          new SinkStatus(
              state.get(),
              health().detail(),
              state.get() == StageState.FAILED ? new LastError("401", 42L) : null,
              4,
              1_700_000_000_000L,
              900L,
              "00000000016B3A28:00000000",
              8,
              2,
              5,
              1,
              0));
    }

    @Override
    public void close() {}
  }

  @Test
  void statusLiveAndReadyFollowTheStages() throws Exception {
    try (ServiceEndpoint endpoint = new ServiceEndpoint("127.0.0.1", 0)) {
      FakeSink sink = new FakeSink();
      endpoint.register(sink);

      assertThat(get(endpoint, "/health/live").statusCode()).isEqualTo(200);
      // Up but still starting: alive, not ready.
      assertThat(get(endpoint, "/health/ready").statusCode()).isEqualTo(503);

      sink.state.set(StageState.RUNNING);
      HttpResponse<String> ready = get(endpoint, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(Json.parse(ready.body()).get("status").asText()).isEqualTo("READY");

      JsonNode status = Json.parse(get(endpoint, "/status").body()).get("stages").get("sink");
      assertThat(status.get("state").asText()).isEqualTo("RUNNING");
      assertThat(status.get("assignedPartitions").asInt()).isEqualTo(4);
      assertThat(status.get("checkpoint").asText()).isEqualTo("00000000016B3A28:00000000");

      sink.state.set(StageState.FAILED);
      assertThat(get(endpoint, "/health/ready").statusCode()).isEqualTo(503);
      assertThat(get(endpoint, "/health").statusCode()).isEqualTo(503);
      assertThat(get(endpoint, "/health/live").statusCode()).isEqualTo(200);
      JsonNode failed = Json.parse(get(endpoint, "/status").body()).get("stages").get("sink");
      assertThat(failed.get("lastError").get("message").asText()).isEqualTo("401");
      assertThat(failed.get("lastError").get("atEpochMs").asLong()).isEqualTo(42L);
    }
  }

  private static HttpResponse<String> get(ServiceEndpoint e, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(e.url() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
