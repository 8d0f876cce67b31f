package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.SinkMain;
import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink runs as its own process against the emulator with fault injection on (503 and 429 at
 * 10%, added latency, dropped connections) and is killed with SIGKILL at random moments during a
 * load, several rounds; afterwards Convex equals Postgres by content.
 */
@Timeout(400)
class SinkCrashIT {
  private static final int ROUNDS = 3;

  @Test
  void sigkilledSinkUnderConvexFaultsConvergesToPostgres() throws Exception {
    try (Pipeline p =
        new Pipeline(
            ItSupport.sharedSettings("sinkcrash", DemoDatabase.TABLES, DemoDatabase.RELATIONS))) {
      p.startInfrastructure();
      AtomicBoolean loading = new AtomicBoolean(true);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try (Connection db = p.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 8);
        demo.createSchema();
        demo.load(300);
        p.startServices(EnumSet.of(Stage.SOURCE, Stage.TRANSFORMER));
        faults(
            p,
            Map.of(
                "fault503",
                0.1,
                "fault429",
                0.1,
                "faultLatencyMs",
                20,
                "faultDrop",
                0.05,
                "faultRoutes",
                List.of("/api/mutation")));
        Path config = writeConfig(p);
        SplittableRandom random = new SplittableRandom(17);
        Process sink = startSink(config);
        try (Connection writer = p.connect()) {
          DemoDatabase live = new DemoDatabase(writer, 9);
          live.adopt(demo);
          Future<?> load =
              pool.submit(
                  () -> {
                    while (loading.get()) {
                      live.writeSome();
                      live.load(20);
                    }
                    return null;
                  });
          for (int round = 0; round < ROUNDS; round++) {
            Thread.sleep(1500 + random.nextInt(2500));
            sink.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            sink = startSink(config);
          }
          Thread.sleep(1000);
          loading.set(false);
          load.get(60, TimeUnit.SECONDS);
        }
        try {
          // Faults stay on while the mirror catches up: the sink must get through them by itself.
          SyncResult r =
              new SyncWaiter(p).await(Duration.ofSeconds(180), System.nanoTime(), () -> true);
          assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        } finally {
          sink.destroy();
          sink.waitFor(30, TimeUnit.SECONDS);
        }
      } finally {
        loading.set(false);
        pool.shutdownNow();
      }
    }
  }

  private static void faults(Pipeline p, Map<String, Object> settings) throws Exception {
    Map<String, String> sink = p.properties(Stage.SINK);
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(p.convexUrl() + "/_emulator/faults"))
            .header("Authorization", "Convex " + sink.get("convex.admin.key"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Json.write(settings)))
            .build();
    HttpResponse<String> res =
        HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
  }

  private static Path writeConfig(Pipeline p) throws IOException {
    Properties props = new Properties();
    props.putAll(p.properties(Stage.SINK));
    Path file = Files.createTempFile("sink", ".properties");
    try (Writer w = Files.newBufferedWriter(file)) {
      props.store(w, "SinkCrashIT");
    }
    return file;
  }

  private static Process startSink(Path config) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = Files.createTempFile("sink", ".log");
    return new ProcessBuilder(
            List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SinkMain.class.getName(),
                "--config",
                config.toString()))
        .redirectErrorStream(true)
        .redirectOutput(new File(log.toString()))
        .start();
  }
}
