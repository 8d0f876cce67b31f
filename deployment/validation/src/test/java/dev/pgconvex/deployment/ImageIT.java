package dev.pgconvex.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline as Compose runs it, from the built image tarballs and without Docker: each tarball
 * is unpacked ({@link OciImage}) and its service is started from the image's own entrypoint,
 * classpath file and arguments (so a dependency missing from an image fails here), as the image's
 * user (65532) where the test runs as root, with the Compose config files ({@code deploy/compose})
 * and secrets as files, only the host names replaced by the embedded stack's (Postgres, Kafka, the
 * Convex emulator in place of the self-hosted backend). The database is prepared by Compose's own
 * init scripts ({@code deploy/postgres/initdb}: the demo tables, then the least-privilege user the
 * services log in as); the functions folder and the mapping come from the CLI image running the
 * {@code convex-schema} service's command. The seed rows and a row inserted afterwards arrive in
 * Convex, the Compose healthcheck command answers 0, and each image serves its metrics.
 *
 * <p>Not exercised: the base image's JRE and OS layers (the tarball is built on {@code scratch};
 * the test's JDK runs it), Docker's networking, volumes and secrets mounts, and the real Convex
 * backend (the deploy step, {@code npx convex deploy}, is EmulatorDeployIT's in the launcher).
 */
@Timeout(300)
class ImageIT {
  private static final Logger log = LoggerFactory.getLogger(ImageIT.class);
  private static final List<String> SERVICES = List.of("source", "transformer", "sink");

  private final List<Process> processes = new ArrayList<>();
  private Path work;
  private boolean passed;

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroy(); // SIGTERM, as docker stop
    }
    for (Process p : processes) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (passed) {
      OciImage.deleteTree(work); // ~450 MB of unpacked images; kept with the logs on a failure
    }
  }

  @Test
  void theServicesRunFromTheirImagesAsComposeConfiguresThem() throws Exception {
    work = Path.of("target", "it", TestNames.unique("images")).toAbsolutePath();
    Map<String, OciImage> images = new LinkedHashMap<>();
    for (String name : List.of("source", "transformer", "sink", "cli")) {
      OciImage image = OciImage.unpack(Repo.imageTar(name), work.resolve(name));
      images.put(name, image);
      // What the image says about itself: its main, user, state directory and production base.
      Properties marker = new Properties();
      try (var in =
          Files.newBufferedReader(
              image.path("/app/resources/META-INF/pgconvex-image.properties"))) {
        marker.load(in);
      }
      assertThat(image.entrypoint()).last().isEqualTo(marker.getProperty("main"));
      assertThat(image.entrypoint()).contains("-cp", "@/app/jib-classpath-file");
      assertThat(image.user()).isEqualTo("65532:65532");
      assertThat(image.workingDir()).isEqualTo("/var/lib/pgconvex");
      assertThat(Files.getPosixFilePermissions(image.path("/var/lib/pgconvex")))
          .as("a volume mounted there is writable by the non-root user")
          .contains(PosixFilePermission.OTHERS_WRITE);
      assertThat(image.labels().get("org.opencontainers.image.base.name"))
          .startsWith("gcr.io/distroless/java17-debian12:nonroot@sha256:");
      assertThat(image.layerMediaTypes)
          .allMatch(t -> t.equals("application/vnd.oci.image.layer.v1.tar+gzip"));
    }

    // Postgres as the Compose init scripts leave it.
    EmbeddedPostgresServer pg = SharedStack.postgres();
    String database = TestNames.unique("app");
    pg.createDatabase(database);
    String dbUser = "pgconvex";
    String dbPassword = "pw-" + System.nanoTime();
    try (Connection c = pg.connect(database);
        Statement st = c.createStatement()) {
      for (String sql : statements(Repo.read("deploy/postgres/initdb/01-demo-tables.sql"))) {
        st.execute(sql);
      }
      String psql =
          Repo.read("deploy/postgres/initdb/pgconvex-user.psql")
              .replace(":\"pgconvex_user\"", "\"" + dbUser + "\"")
              .replace(":'pgconvex_password'", "'" + dbPassword + "'");
      for (String sql : statements(psql)) {
        st.execute(sql);
      }
    }
    Map<String, String> hosts = new LinkedHashMap<>();
    hosts.put("jdbc:postgresql://postgres:5432/app", pg.jdbcUrl(database));
    hosts.put("kafka:9092", SharedStack.kafka().bootstrapServers());
    Map<String, Object> compose = Repo.yaml("docker-compose.yml");

    // convex-schema: the CLI image generates the functions folder and the mapping.
    OciImage cli = images.get("cli");
    secret(cli, "pgconvex_db_password", dbPassword);
    List<String> schemaArgs = new ArrayList<>();
    for (Object a : (List<?>) service(compose, "convex-schema").get("command")) {
      schemaArgs.add(replaceHosts(a.toString(), hosts));
    }
    Process schema = start(cli, "convex-schema", schemaArgs, work);
    assertThat(schema.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(schema.exitValue()).as(log(work, "convex-schema")).isZero();
    Path functions = cli.path("/var/lib/pgconvex/convex");
    assertThat(functions.resolve("schema.ts")).exists();
    assertThat(functions.resolve("cdc/ingest.ts")).exists();
    assertThat(functions.resolve("pgconvex.mapping.json")).exists();
    // convex-deploy's part: Convex runs the generated folder (the emulator, in place of the
    // self-hosted backend and npx convex deploy).
    ConvexEmulatorProcess convex = SharedStack.convex(functions);
    hosts.put("http://convex-backend:3210", convex.url());

    // The three services, each from its image with its Compose config.
    secret(images.get("source"), "pgconvex_db_password", dbPassword);
    secret(images.get("sink"), "convex_admin_key", convex.adminKey().reveal());
    Map<String, Integer> ports = new HashMap<>();
    for (String name : SERVICES) {
      OciImage image = images.get(name);
      Properties props = new Properties();
      try (var in = Files.newBufferedReader(Repo.file("deploy/compose/" + name + ".properties"))) {
        props.load(in);
      }
      Properties hostProps = new Properties();
      for (String key : props.stringPropertyNames()) {
        String value = replaceHosts(props.getProperty(key), hosts);
        if (value.startsWith("/var/lib/pgconvex-functions/")) {
          // the convex-functions volume, which convex-schema wrote
          value =
              cli.path(value.replace("/var/lib/pgconvex-functions/", "/var/lib/pgconvex/"))
                  .toString();
        } else if (value.startsWith("/")) {
          value = image.path(value).toString();
        }
        hostProps.setProperty(key, value);
      }
      // One host for all three: each its own port (in Compose, each its own 8080).
      int port = freePort();
      ports.put(name, port);
      hostProps.setProperty("http.host", "127.0.0.1");
      hostProps.setProperty("http.port", Integer.toString(port));
      if (name.equals("source")) {
        hostProps.setProperty("source.heartbeat.interval.ms", "500");
      }
      String configPath = image.labels().get("dev.pgconvex.config");
      assertThat(configPath).isEqualTo("/etc/pgconvex/" + name + ".properties");
      Files.createDirectories(image.path(configPath).getParent());
      try (var out = Files.newBufferedWriter(image.path(configPath))) {
        hostProps.store(out, "deploy/compose/" + name + ".properties, hosts of the test stack");
      }
      // The image's own arguments: http.* then --config <the path above>.
      assertThat(image.cmd()).containsSubsequence("--config", configPath);
      start(image, name, null, work);
    }
    for (String name : SERVICES) {
      String url = "http://127.0.0.1:" + ports.get(name) + "/health/ready";
      await(name + " ready")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .failFast(name + " exited", () -> !processOf(name).isAlive())
          .until(() -> status(url) == 200);
    }

    // The seed rows, then a new one, arrive in Convex.
    try (ConvexClient client =
        new ConvexClient(
            convex.url(), convex.adminKey(), Duration.ofSeconds(10), Duration.ofSeconds(5), 2)) {
      awaitCount(client, "users", 2);
      awaitCount(client, "threads", 2);
      awaitCount(client, "messages", 3);
      try (Connection c = pg.connect(database);
          Statement st = c.createStatement()) {
        st.execute("INSERT INTO users (clerk_user_id, email) VALUES ('user_3', 'cy@example.com')");
      }
      awaitCount(client, "users", 3);
    }

    // Compose's healthcheck command, in the image: exit 0 on a ready service.
    @SuppressWarnings("unchecked")
    List<String> test =
        new ArrayList<>(
            (List<String>)
                ((Map<String, Object>) service(compose, "sink").get("healthcheck")).get("test"));
    assertThat(test.remove(0)).isEqualTo("CMD");
    List<String> probe = new ArrayList<>();
    for (String a : test) {
      probe.add(a.replace("127.0.0.1:8080", "127.0.0.1:" + ports.get("sink")));
    }
    OciImage sink = images.get("sink");
    Process health =
        new ProcessBuilder(
                asImageUser(sink, sink.hostCommand(probe, work.resolve("probe-scratch"))))
            .redirectErrorStream(true)
            .start();
    String healthOut = new String(health.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(health.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(health.exitValue()).as(healthOut).isZero();

    // JAVA_TOOL_OPTIONS reaches the services' JVMs (the documented hook).
    assertThat(Files.readString(work.resolve("source.log")))
        .contains("Picked up JAVA_TOOL_OPTIONS: -Xmx384m");

    // Each image serves its stage's metrics, the alert monitor's included (the dashboard's
    // whole set, with the dead letters and orphans only a failure makes, is checked in AlertsIT).
    for (String name : SERVICES) {
      String metrics = scrape("http://127.0.0.1:" + ports.get(name) + "/metrics");
      assertThat(metrics)
          .containsPattern("(?m)^pgconvex_stage_up\\{.*stage=\"" + name + "\"")
          .containsPattern("(?m)^pgconvex_alerts\\{");
    }
    passed = true;
  }

  private Process processOf(String name) {
    return processes.get(SERVICES.indexOf(name));
  }

  private Process start(OciImage image, String name, List<String> args, Path work)
      throws IOException {
    List<String> cmd = asImageUser(image, image.command(args, work.resolve(name + "-scratch")));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(image.path(image.workingDir()).toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve(name + ".log").toFile());
    pb.environment().putAll(image.env());
    // Secrets only from the files, as in Compose.
    pb.environment().remove("PG_PASSWORD");
    pb.environment().remove("CONVEX_ADMIN_KEY");
    pb.environment().put("JAVA_TOOL_OPTIONS", "-Xmx384m");
    log.info("Starting {} from its image: {}", name, cmd);
    Process p = pb.start();
    if (args == null) {
      processes.add(p);
    }
    return p;
  }

  // The image's user where the test may switch to it (root with setpriv), else this user.
  private static List<String> asImageUser(OciImage image, List<String> cmd) {
    String[] user = image.user().split(":");
    assertThat(user[0]).as("the image runs as a non-root user").isNotEmpty().isNotEqualTo("0");
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root
        || !Files.isExecutable(Path.of("/usr/bin/setpriv"))
        || !reachableByOthers(image.rootfs)
        || !reachableByOthers(Path.of(System.getProperty("java.home")))) {
      log.info(
          "Not root, no setpriv, or the image's files or the JDK not readable by other users (umask):"
              + " {} runs as {}",
          cmd.get(0),
          System.getProperty("user.name"));
      return cmd;
    }
    List<String> out = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + user[0]));
    out.add("--regid=" + (user.length > 1 ? user[1] : user[0]));
    out.add("--clear-groups");
    out.addAll(cmd);
    return out;
  }

  // Every directory from dir up to / lets other users through.
  private static boolean reachableByOthers(Path dir) {
    try {
      for (Path p = dir.toRealPath(); p != null; p = p.getParent()) {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void secret(OciImage image, String name, String value) throws IOException {
    Path file = image.path("/run/secrets/" + name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, value + "\n");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(Map<String, Object> compose, String name) {
    return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
  }

  private static String replaceHosts(String value, Map<String, String> hosts) {
    String out = value;
    for (var e : hosts.entrySet()) {
      out = out.replace(e.getKey(), e.getValue());
    }
    return out;
  }

  private static void awaitCount(ConvexClient client, String table, int expected) {
    await(table + " in Convex")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> count(client, table) == expected);
  }

  private static long count(ConvexClient client, String table) {
    long total = 0;
    String cursor = null;
    while (true) {
      Map<String, Object> args = new HashMap<>();
      args.put("table", table);
      args.put("cursor", cursor);
      JsonNode page = client.query("cdc/ingest:tableCount", args);
      total += page.get("count").asLong();
      if (page.get("isDone").asBoolean()) {
        return total;
      }
      cursor = page.get("continueCursor").asText();
    }
  }

  private static int status(String url) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(url)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String scrape(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String log(Path work, String name) {
    try {
      return Files.readString(work.resolve(name + ".log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The SQL statements of a script: comments dropped, split at the semicolons ending a line. */
  static List<String> statements(String script) {
    StringBuilder sb = new StringBuilder();
    for (String line : script.split("\n")) {
      if (!line.strip().startsWith("--")) {
        sb.append(line).append('\n');
      }
    }
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("(?s)(.*?);\\s*(\\n|$)").matcher(sb);
    while (m.find()) {
      if (!m.group(1).isBlank()) {
        out.add(m.group(1).strip());
      }
    }
    return out;
  }
}
