package dev.pgconvex.sink;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.kafka.TopicBootstrap;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The sink benchmark of issue 6; not a test (no assertions, nothing runs it in {@code verify}).
 * Starts the shared in-process Kafka broker and its own Convex emulators on {@code <home>/convex},
 * then measures, side by side, several runs of each case (upserts of new {@code orderItems}
 * documents, produced to the ops topic before the sink starts):
 *
 * <ul>
 *   <li>{@code ceiling}: the sink against an instant stand-in (MockWebServer answering success at
 *       once), i.e. the sink's and Kafka's own cost on this machine;
 *   <li>{@code emulator}: the emulator without limits, small documents (the ops/s figure);
 *   <li>{@code emulatorLarge}: the emulator without limits, the large documents of the throttled
 *       case (shows whether the emulator could exceed the write limit at all);
 *   <li>{@code throttled}: the emulator started with {@code --write-limit-mib-per-s L}, large
 *       documents.
 * </ul>
 *
 * <p>Per run: ops/s and bytes/s (sum of the documents' JSON sizes, UTF-8) from the first applied
 * batch to the last applied op (the consumer group join is excluded and reported apart), the 429s
 * received ({@code pgconvex.sink.retries{reason=rate_limited}}), all retries by reason, and the
 * AIMD limit (time average and minimum). The throttled case also reports bytes/s over the limit,
 * and over the limit's allowance for the window (limit x seconds + the bucket's one second of
 * burst, which is full when a run starts). Prints one JSON object on stdout (medians per case, and
 * every run); progress and logs go to stderr.
 *
 * <pre>
 * ./mvnw -B -o -q -pl convex-sink test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.pgconvex.sink.SinkBench -Dexec.args="--runs 3"
 * </pre>
 *
 * Options: {@code --runs N} (3), {@code --cases ceiling,emulator,emulatorLarge,throttled}, {@code
 * --ceiling-ops N} (100000), {@code --ops N} (20000, emulator), {@code --doc-bytes B} (150, ceiling
 * and emulator), {@code --large-ops N} (10000, emulatorLarge and throttled), {@code
 * --large-doc-bytes B} (8192), {@code --limit-mib X} (4), {@code --warmup-ops N} (5000, one untimed
 * run per case), {@code --set key=value} (a sink setting, for every case; repeatable).
 */
public final class SinkBench {
  static final String TABLE = "orderItems";

  private final Map<String, String> options = new HashMap<>();
  private final Map<String, String> sinkSettings = new LinkedHashMap<>();
  private String bootstrap;
  private final AtomicLong nextOrderId = new AtomicLong(3_000_000_000L + System.nanoTime() % 1000);

  public static void main(String[] args) throws Exception {
    // Before any logger exists: the sink's per-retry warnings would drown the progress lines.
    System.setProperty(
        "org.slf4j.simpleLogger.log.dev.pgconvex.sink",
        System.getProperty("bench.sink.log", "error"));
    System.setProperty(
        "org.slf4j.simpleLogger.log.dev.pgconvex.stack.convex-emulator",
        System.getProperty("bench.emulator.log", "warn"));
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    System.setProperty("org.slf4j.simpleLogger.log.kafka", "error");
    System.setProperty("org.slf4j.simpleLogger.log.state.change.logger", "error");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.zookeeper", "error");
    SinkBench bench = new SinkBench();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("Expected --option value, got " + a);
      }
      String value = args[++i];
      if (a.equals("--set")) {
        int eq = value.indexOf('=');
        bench.sinkSettings.put(value.substring(0, eq), value.substring(eq + 1));
      } else {
        bench.options.put(a.substring(2), value);
      }
    }
    String json = bench.run();
    System.out.println(json);
    System.out.flush();
    // The shared broker and the emulators are closed by their shutdown hooks; exec:java would
    // otherwise wait for the broker's non-daemon threads.
    System.exit(0);
  }

  private int intOpt(String name, int def) {
    return Integer.parseInt(options.getOrDefault(name, Integer.toString(def)));
  }

  private String run() throws Exception {
    int runs = intOpt("runs", 3);
    int ceilingOps = intOpt("ceiling-ops", 100_000);
    int ops = intOpt("ops", 20_000);
    int docBytes = intOpt("doc-bytes", 150);
    int largeOps = intOpt("large-ops", 10_000);
    int largeDocBytes = intOpt("large-doc-bytes", 8192);
    int warmupOps = intOpt("warmup-ops", 5000);
    double limitMib = Double.parseDouble(options.getOrDefault("limit-mib", "4"));
    List<String> cases =
        Arrays.asList(
            options.getOrDefault("cases", "ceiling,emulator,emulatorLarge,throttled").split(","));

    progress("load average at start: %s", loadAverage());
    bootstrap = SharedStack.kafka().bootstrapServers();
    MockWebServer instant = null;
    ConvexEmulatorProcess free = null;
    ConvexEmulatorProcess limited = null;
    try {
      Map<String, Target> targets = new LinkedHashMap<>();
      if (cases.contains("ceiling")) {
        instant = instantConvex();
        targets.put(
            "ceiling", new Target(instant.url("/").toString(), "instant", ceilingOps, docBytes));
      }
      if (cases.contains("emulator") || cases.contains("emulatorLarge")) {
        free = ConvexEmulatorProcess.builder().build();
        free.start();
        if (cases.contains("emulator")) {
          targets.put("emulator", new Target(free.url(), free.adminKey().reveal(), ops, docBytes));
        }
        if (cases.contains("emulatorLarge")) {
          targets.put(
              "emulatorLarge",
              new Target(free.url(), free.adminKey().reveal(), largeOps, largeDocBytes));
        }
      }
      if (cases.contains("throttled")) {
        limited =
            ConvexEmulatorProcess.builder()
                .extraArgs("--write-limit-mib-per-s", options.getOrDefault("limit-mib", "4"))
                .build();
        limited.start();
        targets.put(
            "throttled",
            new Target(limited.url(), limited.adminKey().reveal(), largeOps, largeDocBytes, true));
      }

      Map<String, List<Map<String, Object>>> results = new LinkedHashMap<>();
      targets.keySet().forEach(c -> results.put(c, new ArrayList<>()));
      if (warmupOps > 0) {
        for (var e : targets.entrySet()) {
          Target t = e.getValue();
          progress("warm-up %s: %d ops", e.getKey(), warmupOps);
          runOnce(new Target(t.url, t.key, warmupOps, t.docBytes, t.limitedEmulator), 0);
        }
      }
      // Interleaved (ceiling, emulator, ..., ceiling, emulator, ...): every case sees the same
      // drift of the machine's load.
      for (int r = 0; r < runs; r++) {
        for (var e : targets.entrySet()) {
          Map<String, Object> m =
              runOnce(e.getValue(), e.getKey().equals("throttled") ? limitMib : 0);
          m.put("loadAverage", loadAverage());
          results.get(e.getKey()).add(m);
          progress("run %d %s: %s", r + 1, e.getKey(), Json.write(m));
        }
      }

      ObjectNode out = Json.NODES.objectNode();
      out.put("loadAverageEnd", loadAverage());
      out.put("cpus", Runtime.getRuntime().availableProcessors());
      out.put("runs", runs);
      out.put("limitMiBPerS", limitMib);
      out.set("sinkSettings", Json.MAPPER.valueToTree(sinkSettings));
      ObjectNode medians = out.putObject("medians");
      ObjectNode all = out.putObject("runsDetail");
      for (var e : results.entrySet()) {
        Target t = targets.get(e.getKey());
        ObjectNode med = medians.putObject(e.getKey());
        med.put("ops", t.ops);
        med.put("docBytes", t.docBytes);
        for (String k : List.of("opsPerSec", "mibPerSec", "joinSec", "totalSec")) {
          med.put(k, round(median(e.getValue(), k)));
        }
        if (e.getKey().equals("throttled")) {
          med.put("ratioToLimit", round(median(e.getValue(), "ratioToLimit")));
          med.put("ratioToAllowance", round(median(e.getValue(), "ratioToAllowance")));
        }
        med.put("rateLimited429", round(median(e.getValue(), "rateLimited429")));
        med.put("aimdLimitAvg", round(median(e.getValue(), "aimdLimitAvg")));
        med.put("emulatorCores", round(median(e.getValue(), "emulatorCores")));
        med.put("jvmCores", round(median(e.getValue(), "jvmCores")));
        ArrayNode list = all.putArray(e.getKey());
        e.getValue().forEach(m -> list.add(Json.MAPPER.valueToTree(m)));
      }
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out);
    } finally {
      if (instant != null) {
        instant.close();
      }
      if (free != null) {
        free.close();
      }
      if (limited != null) {
        limited.close();
      }
    }
  }

  record Target(String url, String key, int ops, int docBytes, boolean limitedEmulator) {
    Target(String url, String key, int ops, int docBytes) {
      this(url, key, ops, docBytes, false);
    }
  }

  /**
   * CPU seconds (user + system) used so far by this JVM (sink, producer, broker) and by the
   * emulator child process of the target (the one started with or without the write limit), from
   * /proc.
   */
  private static double[] cpuSeconds(Target t) {
    double jvm = procCpu(ProcessHandle.current().pid());
    double emulator =
        ProcessHandle.current()
            .descendants()
            .filter(
                h -> {
                  String[] a = h.info().arguments().orElse(new String[0]);
                  boolean emulatorScript =
                      Arrays.stream(a).anyMatch(x -> x.endsWith("convex-emulator.js"));
                  boolean limited = Arrays.asList(a).contains("--write-limit-mib-per-s");
                  return emulatorScript && limited == t.limitedEmulator;
                })
            .mapToDouble(h -> procCpu(h.pid()))
            .sum();
    return new double[] {jvm, emulator};
  }

  private static double procCpu(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  /** One run: fresh topics and group, {@code t.ops} new documents. */
  private Map<String, Object> runOnce(Target t, double limitMib) throws Exception {
    String prefix = TestNames.unique("sinkbench");
    Map<String, String> p = new HashMap<>();
    p.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
    p.put(CommonConfig.TOPIC_PREFIX, prefix);
    p.put(SinkConfig.CONVEX_URL, t.url);
    p.put(SinkConfig.CONVEX_ADMIN_KEY, t.key);
    p.putAll(sinkSettings);
    Config config = SinkConfig.parse(p);
    createTopics(config);
    long orderId = nextOrderId.getAndIncrement();
    long docBytesTotal = produce(Topics.from(config).ops(), orderId, t.ops, t.docBytes);

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    double[] cpuStart = cpuSeconds(t);
    long start = System.nanoTime();
    long first = 0;
    long appliedAtFirst = 0;
    double limitSum = 0;
    double limitMin = Double.MAX_VALUE;
    int samples = 0;
    double[] cpuAtFirst = null;
    long end;
    try (ConvexSink sink = new ConvexSink(config, registry)) {
      sink.start();
      long deadline = start + TimeUnit.MINUTES.toNanos(10);
      while (true) {
        long applied = sink.opsApplied();
        long now = System.nanoTime();
        if (applied > 0 && first == 0) {
          first = now;
          appliedAtFirst = applied;
        }
        if (first != 0) {
          Gauge g = registry.find("pgconvex.sink.inflight.limit").gauge();
          if (g != null) {
            limitSum += g.value();
            limitMin = Math.min(limitMin, g.value());
            samples++;
          }
        }
        if (applied >= t.ops) {
          end = now;
          break;
        }
        if (first != 0 && cpuAtFirst == null) {
          cpuAtFirst = cpuSeconds(t);
        }
        if (sink.failure() != null) {
          throw new IllegalStateException("sink failed", sink.failure());
        }
        if (now > deadline) {
          throw new IllegalStateException(
              "sink applied " + applied + " of " + t.ops + " in 10 min");
        }
        Thread.sleep(5);
      }
    }
    // Rate over the window [first applied batch, last op applied], the ops of that first batch
    // excluded: the group join and the first batch's latency are not throughput.
    double seconds = (end - first) / 1e9;
    double[] cpuEnd = cpuSeconds(t);
    double[] cpuFrom = cpuAtFirst == null ? cpuStart : cpuAtFirst;
    double opsInWindow = t.ops - appliedAtFirst;
    double bytesPerOp = (double) docBytesTotal / t.ops;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ops", t.ops);
    m.put("opsPerSec", round(opsInWindow / seconds));
    double bytesPerSec = opsInWindow * bytesPerOp / seconds;
    m.put("mibPerSec", round(bytesPerSec / (1 << 20)));
    m.put("joinSec", round((first - start) / 1e9));
    m.put("totalSec", round((end - start) / 1e9));
    if (limitMib > 0) {
      double limit = limitMib * (1 << 20);
      m.put("ratioToLimit", round(bytesPerSec / limit));
      // What the bucket allowed in the window: the rate times the window plus one second of burst.
      m.put("ratioToAllowance", round(opsInWindow * bytesPerOp / (limit * seconds + limit)));
    }
    Map<String, Double> retries = new TreeMap<>();
    for (Counter c : registry.find("pgconvex.sink.retries").counters()) {
      retries.merge(c.getId().getTag("reason"), c.count(), Double::sum);
    }
    m.put("rateLimited429", retries.getOrDefault("rate_limited", 0.0));
    m.put("retries", retries);
    // Cores busy during the window: about 1.0 for the emulator means its one Node thread is
    // saturated (the emulator is the bottleneck); the JVM holds the sink, the producer and broker.
    m.put("emulatorCores", round((cpuEnd[1] - cpuFrom[1]) / seconds));
    m.put("jvmCores", round((cpuEnd[0] - cpuFrom[0]) / seconds));
    m.put("aimdLimitAvg", round(samples == 0 ? 0 : limitSum / samples));
    m.put("aimdLimitMin", samples == 0 ? 0 : limitMin);
    var latency = registry.find("pgconvex.sink.batch.latency").timer();
    if (latency != null) {
      m.put("batches", latency.count());
      m.put("batchMeanMs", round(latency.mean(TimeUnit.MILLISECONDS)));
    }
    var batchOps = registry.find("pgconvex.sink.batch.ops").summary();
    if (batchOps != null) {
      m.put("batchOpsMean", round(batchOps.mean()));
    }
    return m;
  }

  /** Upserts of new documents {orderId, lineNo, sku} with sku padded so the doc is ~docBytes. */
  private long produce(String topic, long orderId, int n, int docBytes) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    long bytes = 0;
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        ObjectNode doc = Json.NODES.objectNode().put("orderId", orderId).put("lineNo", i);
        String sku = "sku-" + i + "-";
        int base = Json.write(doc.deepCopy().put("sku", sku)).length();
        doc.put("sku", sku + "x".repeat(Math.max(0, docBytes - base)));
        bytes += Json.write(doc).getBytes(StandardCharsets.UTF_8).length;
        String key = "[" + orderId + "," + i + "]";
        long lsn = 1000L + i;
        String value =
            Json.write(
                new Operation(
                    TABLE,
                    key,
                    Operation.Kind.UPSERT,
                    Position.of(lsn, 0),
                    1_700_000_000_000L + lsn,
                    lsn,
                    doc));
        acks.add(producer.send(new ProducerRecord<>(topic, TABLE + "/" + key, value)));
      }
      for (var a : acks) {
        a.get(120, TimeUnit.SECONDS);
      }
    }
    return bytes;
  }

  /** Creates the pipeline topics and waits until every partition answers on its leader. */
  private void createTopics(Config config) throws Exception {
    TopicBootstrap.ensure(config);
    Topics topics = Topics.from(config);
    int partitions = config.getInt(CommonConfig.TOPIC_PARTITIONS);
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    for (String t : List.of(topics.ops(), topics.ids(), topics.deadLetters())) {
      for (int i = 0; i < partitions; i++) {
        specs.put(new TopicPartition(t, i), OffsetSpec.latest());
      }
    }
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          admin.listOffsets(specs).all().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
    }
  }

  /** A Convex stand-in answering every applyBatch with "applied" at once. */
  private static MockWebServer instantConvex() throws Exception {
    MockWebServer fake = new MockWebServer();
    fake.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String body = request.getBody().readUtf8();
            if (body.contains("cdc/lineage:claimLineage")) {
              return new MockResponse()
                  .setBody(
                      "{\"status\":\"success\",\"value\":{\"status\":\"created\",\"lineage\":"
                          + "{\"pipeline\":\"bench\",\"mirrorId\":\"m1\",\"source\":null,"
                          + "\"createdAt\":0}}}");
            }
            if (!body.contains("cdc/ingest:applyBatch")) {
              return new MockResponse().setBody("{\"status\":\"success\",\"value\":null}");
            }
            int ops = 0;
            for (int i = body.indexOf("\"table\":");
                i >= 0;
                i = body.indexOf("\"table\":", i + 1)) {
              ops++;
            }
            StringBuilder sb =
                new StringBuilder("{\"status\":\"success\",\"value\":{\"results\":[");
            for (int i = 0; i < ops; i++) {
              sb.append(i == 0 ? "" : ",").append("{\"status\":\"applied\",\"id\":\"k57abc\"}");
            }
            return new MockResponse().setBody(sb.append("]}}").toString());
          }
        });
    fake.start();
    return fake;
  }

  private static double median(List<Map<String, Object>> runs, String key) {
    double[] v =
        runs.stream()
            .map(m -> m.get(key))
            .filter(o -> o instanceof Number)
            .mapToDouble(o -> ((Number) o).doubleValue())
            .sorted()
            .toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static double round(double d) {
    return Math.round(d * 1000) / 1000.0;
  }

  private static String loadAverage() {
    try {
      String s = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
      String[] parts = s.split(" ");
      return String.join(" ", parts[0], parts[1], parts[2]);
    } catch (Exception e) {
      return "n/a";
    }
  }

  private static void progress(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[SinkBench] " + format + "%n", args);
    System.err.flush();
  }
}
