package dev.pgconvex.common.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HealthCheckTest {
  @Test
  void zeroOnlyWhenTheUrlAnswers200() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/up",
        ex -> {
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.createContext(
        "/down",
        ex -> {
          ex.sendResponseHeaders(503, -1);
          ex.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      assertThat(HealthCheck.check(base + "/up", 2000)).isZero();
      assertThat(HealthCheck.check(base + "/down", 2000)).isEqualTo(1);
    } finally {
      server.stop(0);
    }
    assertThat(HealthCheck.check("http://127.0.0.1:1/health/ready", 500)).isEqualTo(1);
  }
}
