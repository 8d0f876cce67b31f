package dev.pgconvex.common.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.service.Service;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The HTTP endpoint of a service process: {@code GET /metrics} (Prometheus text), {@code GET
 * /health} (JSON, 200 when every service is up, 503 otherwise), {@code GET /health/live} (200 while
 * the process serves: a liveness probe), {@code GET /health/ready} (200 when every service is up
 * and every stage is {@code RUNNING}: a readiness probe; 503 otherwise) and {@code GET /status}
 * (the stages' typed statuses, docs/contracts.md "Status"). Owns its registry; thread-safe.
 */
public final class ServiceEndpoint implements AutoCloseable {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<Service> services = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final HttpServer server;

  /**
   * Starts listening.
   *
   * @param host address to bind
   * @param port port, 0 for a free one
   */
  public ServiceEndpoint(String host, int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "http-endpoint");
              t.setDaemon(true);
              return t;
            }));
    server.createContext(
        "/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4", registry.scrape()));
    server.createContext("/health", this::health);
    server.createContext(
        "/health/live",
        ex -> respond(ex, 200, "application/json", Json.write(Map.of("status", "UP"))));
    server.createContext("/health/ready", this::ready);
    server.createContext(
        "/status", ex -> respond(ex, 200, "application/json", Json.write(statusBody())));
    server.start();
  }

  /** The registry services record their meters in. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Adds a service to {@code /health}, {@code /health/ready} and {@code /status}; a pipeline stage
   * also gets the gauge {@code pgconvex_stage_up{stage}}: 1 while it is starting or running, 0 once
   * it failed or was stopped.
   */
  public void register(Service service) {
    services.add(service);
    if (service.status().isPresent()) {
      String stage = service.status().get().stage();
      // Read through the registered services, so a stage registered again (restarted in this
      // process) is the one reported, not the closed one.
      io.micrometer.core.instrument.Gauge.builder(
              "pgconvex.stage.up",
              services,
              list -> {
                for (int i = list.size() - 1; i >= 0; i--) {
                  var st = list.get(i).status();
                  if (st.isPresent() && st.get().stage().equals(stage)) {
                    var state = st.get().state();
                    return state == dev.pgconvex.common.status.StageState.RUNNING
                            || state == dev.pgconvex.common.status.StageState.STARTING
                        ? 1.0
                        : 0.0;
                  }
                }
                return 0.0;
              })
          .tag("stage", stage)
          .description("1 while the stage is starting or running, 0 once it failed or stopped")
          .register(registry);
    }
  }

  /**
   * Serves {@code GET path} as JSON from {@code body}, called on the endpoint's thread for each
   * request (for example the transformer's {@code /pending}). A failure answers 500 with the
   * message.
   */
  public void route(String path, java.util.function.Supplier<Object> body) {
    server.createContext(
        path,
        ex -> {
          try {
            respond(ex, 200, "application/json", Json.write(body.get()));
          } catch (RuntimeException e) {
            respond(
                ex,
                500,
                "application/json",
                Json.write(Map.of("error", String.valueOf(e.getMessage()))));
          }
        });
  }

  /**
   * Serves every request under {@code path} with {@code handler}, on the endpoint's threads (the
   * dashboard's page and assets). The handler answers each request itself.
   */
  public void handle(String path, com.sun.net.httpserver.HttpHandler handler) {
    server.createContext(path, handler);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Base URL, e.g. {@code http://127.0.0.1:8080}. */
  public String url() {
    return "http://" + server.getAddress().getHostString() + ":" + port();
  }

  private void health(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    boolean up = true;
    for (Service s : services) {
      Service.Health h = s.health();
      up &= h.up();
      body.put(s.name(), Map.of("status", h.up() ? "UP" : "DOWN", "detail", h.detail()));
    }
    body.put("status", up ? "UP" : "DOWN");
    respond(ex, up ? 200 : 503, "application/json", Json.write(body));
  }

  /** {@code {"stages": {"source": {...}, ...}}} of the registered stages, in registration order. */
  public Map<String, Object> statusBody() {
    Map<String, Object> stages = new LinkedHashMap<>();
    for (Service s : services) {
      s.status().ifPresent(st -> stages.put(st.stage(), st));
    }
    return Map.of("stages", stages);
  }

  private void ready(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    boolean ready = true;
    for (Service s : services) {
      Service.Health h = s.health();
      boolean running =
          s.status()
              .map(st -> st.state() == dev.pgconvex.common.status.StageState.RUNNING)
              .orElse(true);
      ready &= h.up() && running;
      body.put(
          s.name(),
          Map.of("status", h.up() && running ? "READY" : "NOT_READY", "detail", h.detail()));
    }
    body.put("status", ready ? "READY" : "NOT_READY");
    respond(ex, ready ? 200 : 503, "application/json", Json.write(body));
  }

  private static void respond(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    registry.close();
  }
}
