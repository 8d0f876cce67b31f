package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.operations.alerts.AlertRules;
import dev.pgconvex.operations.alerts.AlertSettings;
import dev.pgconvex.operations.alerts.FiringAlert;
import dev.pgconvex.operations.alerts.PrometheusRules;
import dev.pgconvex.sink.SinkConfig;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.transformer.Transformer;
import dev.pgconvex.transformer.TransformerConfig;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

/**
 * Every alert fires and resolves on real servers, and the webhook receives exactly one firing and
 * one resolved message per episode: a stopped transformer (stage down, stalled, end-to-end and
 * consumer lag), a burst of writes (slot lag), a held orphan (orphans held, dead letters arriving)
 * and Convex throttling (429s: throttled, sink failing). Source and sink run in the pipeline; the
 * transformer runs with its own endpoint, as a separate deployable, watched by the pipeline. At the
 * end the Prometheus rules file's metrics and the Grafana dashboard's are all found on the running
 * endpoints.
 */
@Timeout(600)
class AlertsIT {
  private static final Logger log = LoggerFactory.getLogger(AlertsIT.class);

  private final List<JsonNode> received = new CopyOnWriteArrayList<>();

  @Test
  void everyAlertFiresAndResolvesOncePerEpisode() throws Exception {
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          try (InputStream in = ex.getRequestBody()) {
            received.add(Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
          }
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    receiver.start();
    String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("source.heartbeat.interval.ms", "500");
    keys.put("source.slot.lag.poll.interval.ms", "500");
    keys.put("transformer.orphan.report.after.ms", "3000");
    keys.put("sink.retry.backoff.max.ms", "1000");
    keys.put(AlertRules.EVALUATION_INTERVAL_MS, "500");
    keys.put(AlertRules.WEBHOOK_URL, hook);
    keys.put(AlertRules.WEBHOOK_REPEAT_INTERVAL_MS, "0");
    keys.put(AlertRules.STAGE_DOWN.forKey(), "0");
    keys.put(AlertRules.STALLED.thresholdKey(), "15000");
    keys.put(AlertRules.END_TO_END_LAG.thresholdKey(), "6000");
    keys.put(AlertRules.END_TO_END_LAG.forKey(), "1000");
    keys.put(AlertRules.CONSUMER_LAG.thresholdKey(), "4000");
    keys.put(AlertRules.CONSUMER_LAG.forKey(), "1000");
    keys.put(AlertRules.SLOT_LAG.thresholdKey(), "65536");
    keys.put(AlertRules.SLOT_LAG.forKey(), "0");
    keys.put(AlertRules.SLOT_STUCK.thresholdKey(), "4000");
    keys.put(AlertRules.SLOT_STUCK.forKey(), "0");
    keys.put(AlertRules.ORPHANS.thresholdKey(), "2000");
    keys.put(AlertRules.DEAD_LETTERS.windowKey(), "4000");
    keys.put(AlertRules.SINK_FAILING.thresholdKey(), "3000");
    keys.put(AlertRules.THROTTLED.thresholdKey(), "2");
    keys.put(AlertRules.THROTTLED.windowKey(), "6000");
    keys.put(AlertRules.THROTTLED.forKey(), "1000");
    PipelineSettings settings =
        ItSupport.sharedSettings(
            "alerts",
            List.of("public.parents", "public.children"),
            List.of("children.parent_id->parents"));
    for (var e : keys.entrySet()) {
      settings = settings.withOverride(e.getKey(), e.getValue());
    }
    Path stateDir =
        Path.of("target", "it", "alerts-transformer-" + System.nanoTime()).toAbsolutePath();
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute("CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL)");
        // No FK constraint in Postgres: a child may come before its parent (an orphan).
        st.execute("CREATE TABLE children (id int PRIMARY KEY, parent_id int NOT NULL, note text)");
        st.execute("INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 20) g");
        st.execute("INSERT INTO children SELECT g, 1 + g % 20, 'c' FROM generate_series(1, 50) g");
      }
      p.startServices(EnumSet.of(Stage.SOURCE, Stage.SINK));
      Deployable t = new Deployable(p, stateDir, 0);
      t.start();
      p.watch(Stage.TRANSFORMER, t.url());
      int port = t.port();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        awaitQuiet(p, "start");

        // 1. The transformer stops (its process dies): down, then lag, then stalled.
        int mark = received.size();
        t.close();
        awaitFiring(p, "StageDown", "PipelineStalled", "EndToEndLagHigh", "ConsumerLagHigh");
        t = new Deployable(p, stateDir, port);
        t.start();
        awaitQuiet(p, "transformer back");
        assertOneEpisode(
            mark, "StageDown", "PipelineStalled", "EndToEndLagHigh", "ConsumerLagHigh");

        // 2. Kafka throttles the source's producer (a byte-rate quota of 1 kB/s: each answer is
        //    delayed by up to the broker's longest throttle): the slot stays active but its
        // confirmed
        //    LSN stands still while a burst of writes grows the WAL it holds.
        mark = received.size();
        ClientQuotaEntity sourceProducer =
            new ClientQuotaEntity(
                Map.of(ClientQuotaEntity.CLIENT_ID, "pgconvex-source-" + p.topics().prefix()));
        try (Admin admin = Admin.create(p.kafkaClientProps())) {
          quota(admin, sourceProducer, 1000.0);
          st.execute(
              "INSERT INTO parents SELECT g, repeat('x', 200) FROM generate_series(100, 800) g");
          awaitFiring(p, "SlotStuck", "SlotLagHigh");
          // A quota far above the load, rather than none: the throttled client's sensor is
          // updated at once (observed: a removed quota left the producer throttled for minutes).
          quota(admin, sourceProducer, 1e12);
        }
        awaitQuiet(p, "quota lifted");
        assertOneEpisode(mark, "SlotStuck", "SlotLagHigh");

        // 3. A child whose parent is not there: held, reported as an orphan, then released.
        mark = received.size();
        st.execute("INSERT INTO children VALUES (9001, 9999, 'orphan')");
        // and a poison record on the ops topic: the sink dead-letters it, the rest flows on
        try (var producer =
            new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
                p.kafkaClientProps(),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
          producer
              .send(
                  new org.apache.kafka.clients.producer.ProducerRecord<>(
                      p.topics().ops(), 0, "poison", "not an op"))
              .get();
        }
        awaitFiring(p, "OrphansHeld", "DeadLettersArriving");
        Deployable held = t;
        await("orphan reported")
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    ((dev.pgconvex.common.status.TransformerStatus)
                                held.transformer.status().orElseThrow())
                            .deadLetters()
                        > 0);
        st.execute("INSERT INTO parents VALUES (9999, 'late parent')");
        awaitQuiet(p, "parent arrived");
        assertOneEpisode(mark, "OrphansHeld", "DeadLettersArriving");

        // 4. Convex throttles every call (429 with Retry-After).
        mark = received.size();
        faults(p, "{\"fault429\": 1.0}");
        for (int i = 0; i < 5; i++) {
          st.execute("UPDATE parents SET name = 'throttled " + i + "' WHERE id = " + (1 + i));
        }
        awaitFiring(p, "ConvexThrottled", "SinkFailing");
        faults(p, "{\"fault429\": 0}");
        awaitQuiet(p, "throttling over");
        assertOneEpisode(mark, "ConvexThrottled", "SinkFailing");

        // No message was sent twice: per alert, firing and resolved alternate, ending resolved.
        Map<String, List<String>> byAlert = new LinkedHashMap<>();
        received.forEach(
            m ->
                byAlert
                    .computeIfAbsent(m.get("alert").asText(), k -> new ArrayList<>())
                    .add(m.get("status").asText()));
        log.info("Webhook messages per alert: {}", byAlert);
        byAlert.forEach(
            (alert, statuses) -> {
              for (int i = 0; i < statuses.size(); i++) {
                assertThat(statuses.get(i))
                    .as(alert + " " + statuses)
                    .isEqualTo(i % 2 == 0 ? "firing" : "resolved");
              }
              assertThat(statuses.size() % 2).as(alert + " " + statuses).isZero();
            });
        // Every rule but those proven where their condition is made: MirrorDiverged in
        // ContinuousVerifyIT, SchemaDriftHeld in PipelineIT, SchemaDriftHeldNearBound (a million
        // held changes; AlertRulesTest), VerifyStale (an hour without a pass)
        // in AlertRulesTest.
        java.util.Set<String> elsewhere =
            java.util.Set.of(
                "MirrorDiverged", "SchemaDriftHeld", "SchemaDriftHeldNearBound", "VerifyStale");
        assertThat(byAlert.keySet())
            .containsAll(
                AlertRules.ALL.stream()
                    .map(r -> r.name())
                    .filter(n -> !elsewhere.contains(n))
                    .toList());
        // Secret-safe: neither the admin key nor the database password is in any message.
        String all = received.toString();
        assertThat(all).doesNotContain(p.properties(Stage.SINK).get(SinkConfig.CONVEX_ADMIN_KEY));
        assertThat(all).doesNotContain(SharedStack.postgres().password().reveal());

        // ./cdc status shows the alerts and the consumer lag the pipeline read.
        JsonNode status =
            Json.parse(
                CliRun.of(
                        "status", "--endpoint", p.endpoint().url(), "--endpoint", t.url(), "--json")
                    .out);
        assertThat(status.get("consumerLag")).hasSize(2);
        assertThat(status.get("alerts")).isEmpty();
        assertThat(status.get("stages").get("source").has("slotActive")).isTrue();

        // Every metric the Prometheus rules name is served by the running stages.
        String metrics = scrape(p.endpoint().url()) + scrape(t.url());
        Set<String> named = metricsIn(PrometheusRules.render(AlertSettings.defaults()));
        for (String m : named) {
          if (m.startsWith("pgconvex_verify_")) {
            continue; // served only where the background verification runs: ContinuousVerifyIT
          }
          assertThat(metrics).as("metric %s on /metrics", m).containsPattern("(?m)^" + m + "[{ ]");
        }
        String file =
            Files.readString(Path.of("..", "deploy", "prometheus", "pgconvex-alerts.yml"));
        assertThat(metricsIn(file)).isEqualTo(named);
        // And every metric the provisioned Grafana dashboard queries (docker-compose.yml): the
        // dead letters and held orphans of this test make the metrics a quiet pipeline lacks.
        Set<String> dashboard =
            dashboardMetrics(
                Files.readString(
                    Path.of("..", "deploy", "grafana", "dashboards", "pgconvex.json")));
        assertThat(dashboard).isNotEmpty();
        for (String m : dashboard) {
          assertThat(metrics)
              .as("Grafana dashboard metric %s on /metrics", m)
              .containsPattern("(?m)^" + m + "[{ ]");
        }
      } finally {
        t.close();
        receiver.stop(0);
      }
    }
  }

  /** The transformer as its own deployable: its endpoint and its service, closed together. */
  private static final class Deployable implements AutoCloseable {
    private final ServiceEndpoint endpoint;
    private final Transformer transformer;

    Deployable(Pipeline p, Path stateDir, int port) throws Exception {
      endpoint = new ServiceEndpoint("127.0.0.1", port);
      Map<String, String> props = new HashMap<>(p.properties(Stage.TRANSFORMER));
      props.put(TransformerConfig.STATE_DIR, stateDir.toString());
      Config config = TransformerConfig.definition().parse(props);
      transformer = new Transformer(config, endpoint.registry(), p.mapping());
      endpoint.register(transformer);
    }

    void start() throws Exception {
      transformer.start();
    }

    String url() {
      return endpoint.url();
    }

    int port() {
      return endpoint.port();
    }

    @Override
    public void close() {
      transformer.close();
      endpoint.close();
    }
  }

  private static void awaitFiring(Pipeline p, String... alerts) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () ->
                assertThat(p.alerts().firing().stream().map(FiringAlert::alert).toList())
                    .contains(alerts));
    log.info("Firing: {}", p.alerts().firing());
  }

  // Nothing fires for a while: the episode is over (and every webhook message has arrived).
  private void awaitQuiet(Pipeline p, String when) {
    await(when)
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .during(Duration.ofSeconds(3))
        .until(() -> p.alerts().firing().isEmpty());
    await(when + ": webhook drained")
        .atMost(Duration.ofSeconds(30))
        .until(() -> p.alerts().webhookCounts()[0] == received.size());
  }

  // Since mark, each named alert was posted exactly once firing and once resolved.
  private void assertOneEpisode(int mark, String... alerts) {
    List<JsonNode> episode = received.subList(mark, received.size());
    for (String a : alerts) {
      List<String> statuses =
          episode.stream()
              .filter(m -> m.get("alert").asText().equals(a))
              .map(m -> m.get("status").asText())
              .toList();
      assertThat(statuses).as(a + " in " + episode).containsExactly("firing", "resolved");
    }
    JsonNode firing =
        episode.stream().filter(m -> m.get("status").asText().equals("firing")).findFirst().get();
    assertThat(firing.get("text").asText()).contains("[FIRING]");
    assertThat(firing.get("attachments").get(0).get("fields")).isNotEmpty();
  }

  private static void quota(Admin admin, ClientQuotaEntity entity, Double bytesPerSecond)
      throws Exception {
    admin
        .alterClientQuotas(
            List.of(
                new ClientQuotaAlteration(
                    entity,
                    List.of(new ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond)))))
        .all()
        .get();
  }

  private static void faults(Pipeline p, String body) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(p.convexUrl() + "/_emulator/faults"))
                    .header(
                        "Authorization",
                        "Convex " + p.properties(Stage.SINK).get(SinkConfig.CONVEX_ADMIN_KEY))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static String scrape(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The metric names in the dashboard's queries (every panel target's expr). */
  static Set<String> dashboardMetrics(String dashboardJson) {
    Set<String> names = new TreeSet<>();
    Pattern metric = Pattern.compile("pgconvex_[a-z0-9_]+");
    for (JsonNode panel : Json.parse(dashboardJson).get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = metric.matcher(target.get("expr").asText());
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    return names;
  }

  /** The metric names in the rules' expressions (the file parsed as YAML). */
  @SuppressWarnings("unchecked")
  static Set<String> metricsIn(String rulesYaml) {
    Map<String, Object> doc = new Yaml().load(rulesYaml);
    Set<String> names = new TreeSet<>();
    Pattern metric = Pattern.compile("pgconvex_[a-z_]+");
    for (Object g : (List<Object>) doc.get("groups")) {
      for (Object r : (List<Object>) ((Map<String, Object>) g).get("rules")) {
        Matcher m = metric.matcher(String.valueOf(((Map<String, Object>) r).get("expr")));
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    return names.stream().collect(Collectors.toCollection(TreeSet::new));
  }
}
