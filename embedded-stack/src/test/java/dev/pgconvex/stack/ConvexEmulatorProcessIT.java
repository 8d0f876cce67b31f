package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class ConvexEmulatorProcessIT {
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void startsAnswersVersionAndClosesWithSigterm() throws Exception {
    ConvexEmulatorProcess emulator = ConvexEmulatorProcess.builder().build();
    try {
      long t0 = System.nanoTime();
      emulator.start();
      System.out.printf("emulator start took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertThat(emulator.url()).matches("http://127\\.0\\.0\\.1:\\d+");
      assertThat(emulator.isAlive()).isTrue();
      assertThat(emulator.functionsDir()).endsWith(java.nio.file.Path.of("convex"));
      assertThat(emulator.adminKey().reveal()).isNotBlank();
      assertThat(emulator.toString()).doesNotContain(emulator.adminKey().reveal());
      assertThat(get(emulator.url() + "/version").statusCode()).isEqualTo(200);
    } finally {
      emulator.close();
    }
    assertThat(emulator.isAlive()).isFalse();
    assertThatThrownBy(() -> get(emulator.url() + "/version")).isInstanceOf(ConnectException.class);
    emulator.close(); // idempotent
    assertThatThrownBy(emulator::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void killStopsItAtOnce() throws Exception {
    try (ConvexEmulatorProcess emulator = ConvexEmulatorProcess.builder().build()) {
      emulator.start();
      String url = emulator.url();
      emulator.kill();
      assertThat(emulator.isAlive()).isFalse();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThatThrownBy(() -> get(url + "/version")).isInstanceOf(IOException.class));
    }
  }

  @Test
  void successorOnTheSamePortAndDataDirAfterAKill() throws Exception {
    java.nio.file.Path data =
        java.nio.file.Path.of("target", "it", dev.pgconvex.stack.testing.TestNames.unique("cvx"));
    int port;
    try (ConvexEmulatorProcess first = ConvexEmulatorProcess.builder().dataDir(data).build()) {
      first.start();
      port = first.port();
      first.kill();
    }
    try (ConvexEmulatorProcess second =
        ConvexEmulatorProcess.builder().dataDir(data).port(port).build()) {
      second.start();
      assertThat(second.port()).isEqualTo(port);
      assertThat(get(second.url() + "/version").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void badFlagFailsStartWithTheEmulatorsMessage() {
    ConvexEmulatorProcess emulator =
        ConvexEmulatorProcess.builder()
            .extraArgs("--no-such-flag", "1")
            .startTimeout(Duration.ofSeconds(30))
            .build();
    try {
      assertThatThrownBy(emulator::start)
          .isInstanceOf(StackException.class)
          .hasMessageContaining("exited before it was ready")
          .hasMessageContaining("unknown option")
          .hasMessageNotContaining(emulator.adminKey().reveal());
    } finally {
      emulator.close();
    }
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
