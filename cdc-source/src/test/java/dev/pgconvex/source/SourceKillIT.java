package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The source as its own process ({@link SourceMain}), killed with SIGKILL at random moments during
 * the initial snapshot and during streaming while rows keep changing. A trigger keeps a changelog
 * of every change in Postgres; at the end every change must be in Kafka at least once and in order
 * per key after the row's last snapshot read.
 */
@Timeout(180)
class SourceKillIT {
  private static final int ROWS = 20_000;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void sigkillDuringSnapshotAndStreamingLosesNothing() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    System.out.println("SourceKillIT seed " + seed);
    ItSupport it = new ItSupport("kill");
    it.sql(
        "CREATE TABLE public.k (id int PRIMARY KEY, v int NOT NULL)",
        "CREATE TABLE public.changelog (seq bigserial PRIMARY KEY, id int NOT NULL, v int NOT NULL)",
        "CREATE FUNCTION public.log_change() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN INSERT INTO public.changelog (id, v) VALUES (NEW.id, NEW.v); RETURN NEW; END $$",
        "CREATE TRIGGER k_log AFTER INSERT OR UPDATE ON public.k"
            + " FOR EACH ROW EXECUTE FUNCTION public.log_change()",
        "INSERT INTO public.k SELECT g, 0 FROM generate_series(1, " + ROWS + ") g");
    Path config = writeConfig(it);
    String topic = it.prefix + ".public.k";

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> write(it, writing, writerFailure), "kill-writer");
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    Process source = null;
    try (KafkaConsumer<String, String> consumer = ItSupport.consumer(topic)) {
      writer.start();
      // Rounds 1 and 2 are killed inside the (re-started) snapshot, 3 to 5 while streaming.
      for (int round = 1; round <= 5; round++) {
        // Rounds 1 and 2 are killed inside the (re-started) snapshot, 3 to 5 while streaming;
        // the child's own /metrics says how far it got (the test's consumer may lag behind).
        boolean snapshotRound = round <= 2;
        int port = freePort();
        source = startSource(config, round, port);
        String metric =
            snapshotRound ? "pgconvex_source_snapshot_rows_total" : "pgconvex_source_events_total";
        int threshold =
            snapshotRound ? 1_000 + random.nextInt(ROWS / 2) : 200 + random.nextInt(600);
        Process p = source;
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(20))
            .until(
                () -> {
                  assertThat(p.isAlive()).as("source process alive").isTrue();
                  return metric(port, metric, snapshotRound ? "" : "op=\"update\"") >= threshold;
                });
        source.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        System.out.printf(
            "SourceKillIT round %d: SIGKILL after %s >= %d%n", round, metric, threshold);
        awaitSlotInactive(it);
      }
      writing.set(false);
      writer.join(10_000);
      assertThat(writerFailure.get()).isNull();

      source = startSource(config, 6, freePort());
      Map<String, Integer> expectedFinal = finalValues(it);
      Process p = source;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                assertThat(p.isAlive()).as("source process alive").isTrue();
                ItSupport.pollInto(consumer, got);
                return lastValues(got).equals(expectedFinal);
              });
    } finally {
      writing.set(false);
      if (source != null) {
        source.destroy();
        source.waitFor(30, TimeUnit.SECONDS);
      }
    }
    assertNothingMissingInOrder(it, got);
  }

  /**
   * Updates random rows (single and 5-row transactions) and inserts new ones until told to stop.
   */
  private static void write(
      ItSupport it, AtomicBoolean writing, AtomicReference<Throwable> failure) {
    Random r = new Random();
    int nextId = ROWS;
    try (Connection c = it.connect();
        PreparedStatement update =
            c.prepareStatement("UPDATE public.k SET v = v + 1 WHERE id = ?");
        PreparedStatement insert = c.prepareStatement("INSERT INTO public.k VALUES (?, 0)")) {
      while (writing.get()) {
        int op = r.nextInt(10);
        if (op == 0) {
          insert.setInt(1, ++nextId);
          insert.executeUpdate();
        } else if (op == 1) {
          c.setAutoCommit(false);
          for (int i = 0; i < 5; i++) {
            update.setInt(1, 1 + r.nextInt(200)); // a hot range: many changes per key
            update.executeUpdate();
          }
          c.commit();
          c.setAutoCommit(true);
        } else {
          update.setInt(1, 1 + r.nextInt(op < 5 ? 200 : ROWS));
          update.executeUpdate();
        }
        if (r.nextBoolean()) {
          Thread.sleep(1); // paces the load (~1000 changes/s); not a wait for a condition
        }
      }
    } catch (Exception e) {
      failure.set(e);
    }
  }

  /**
   * Per key, in topic order: after the key's last snapshot read (value {@code r}, or none for rows
   * inserted later), the first occurrences of the streamed values are exactly the changelog's
   * values above {@code r}, in changelog order; replays after a crash may repeat values.
   */
  private static void assertNothingMissingInOrder(
      ItSupport it, List<ConsumerRecord<String, String>> got) throws Exception {
    Map<String, List<Integer>> changelog = new LinkedHashMap<>();
    try (Connection c = it.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, v FROM public.changelog ORDER BY seq")) {
      while (rs.next()) {
        changelog.computeIfAbsent(key(rs.getInt(1)), k -> new ArrayList<>()).add(rs.getInt(2));
      }
    }
    Map<String, List<JsonNode>> events = new LinkedHashMap<>();
    for (ConsumerRecord<String, String> r : got) {
      if (r.value() != null) {
        events.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Json.parse(r.value()));
      }
    }
    List<String> problems = new ArrayList<>();
    long changesChecked = 0;
    for (var e : changelog.entrySet()) {
      List<JsonNode> evs = events.getOrDefault(e.getKey(), List.of());
      int lastRead = -1;
      for (int i = 0; i < evs.size(); i++) {
        if ("r".equals(evs.get(i).get("op").asText())) {
          lastRead = i;
        }
      }
      int readValue = lastRead < 0 ? -1 : evs.get(lastRead).get("after").get("v").asInt();
      if (lastRead >= 0 && !e.getValue().contains(readValue)) {
        problems.add(e.getKey() + ": snapshot read " + readValue + " is no state of the row");
      }
      List<Integer> expected = e.getValue().stream().filter(v -> v > readValue).toList();
      LinkedHashSet<Integer> firstSeen = new LinkedHashSet<>();
      for (JsonNode ev : evs.subList(lastRead + 1, evs.size())) {
        firstSeen.add(ev.get("after").get("v").asInt());
      }
      // Streaming may start a little before the snapshot point: a change already in the read can
      // come again right after it (a harmless duplicate), but only in order and from the read on.
      int from =
          firstSeen.isEmpty()
              ? readValue + 1
              : Math.min(firstSeen.iterator().next(), readValue + 1);
      List<Integer> expectedWithDuplicates = e.getValue().stream().filter(v -> v >= from).toList();
      if (!new ArrayList<>(firstSeen).equals(expectedWithDuplicates)
          || !expectedWithDuplicates.containsAll(expected)) {
        problems.add(
            e.getKey()
                + ": expected "
                + expected
                + " after read "
                + readValue
                + ", got "
                + firstSeen);
      }
      changesChecked += expected.size();
    }
    System.out.printf(
        "SourceKillIT: %d keys, %d changelog entries, %d streamed changes checked, %d records%n",
        changelog.size(),
        changelog.values().stream().mapToInt(List::size).sum(),
        changesChecked,
        got.size());
    assertThat(problems).isEmpty();
    assertThat(changesChecked).isGreaterThan(1000);
  }

  private static Map<String, Integer> finalValues(ItSupport it) throws Exception {
    Map<String, Integer> m = new LinkedHashMap<>();
    try (Connection c = it.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, v FROM public.k")) {
      while (rs.next()) {
        m.put(key(rs.getInt(1)), rs.getInt(2));
      }
    }
    return m;
  }

  private static Map<String, Integer> lastValues(List<ConsumerRecord<String, String>> got) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (ConsumerRecord<String, String> r : got) {
      if (r.value() != null) {
        m.put(r.key(), Json.parse(r.value()).get("after").get("v").asInt());
      }
    }
    return m;
  }

  private static String key(int id) {
    return "{\"id\":" + id + "}";
  }

  private static void awaitSlotInactive(ItSupport it) {
    it.awaitSlotInactive();
  }

  private static Path writeConfig(ItSupport it) throws IOException {
    Properties props = new Properties();
    props.putAll(it.props("public.k"));
    props.put("source.max.batch.size", "1024");
    Path file = Files.createTempFile("kill-source", ".properties");
    try (Writer w = Files.newBufferedWriter(file)) {
      props.store(w, "SourceKillIT");
    }
    return file;
  }

  /**
   * Sum of the child's Prometheus samples named {@code name} whose labels contain {@code label}.
   */
  private static double metric(int port, String name, String label) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      double sum = 0;
      for (String line : r.body().split("\n")) {
        if (line.startsWith(name + "{") && line.contains(label)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    } catch (IOException e) {
      return 0; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Process startSource(Path config, int round, int httpPort) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = Path.of(System.getProperty("java.io.tmpdir"), "kill-source-" + round + ".log");
    return new ProcessBuilder(
            List.of(
                java,
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp",
                System.getProperty("java.class.path"),
                SourceMain.class.getName(),
                "--config",
                config.toString(),
                "http.port=" + httpPort))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}
