package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.source.SourceMain;
import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
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
 * The source runs as its own process and is killed with SIGKILL at random moments during a load,
 * then restarted; afterwards Convex equals Postgres by content: same documents, no duplicates, no
 * loss.
 */
@Timeout(400)
class SourceCrashIT {
  private static final int ROUNDS = 3;

  @Test
  void sigkilledSourceResumesWithoutLossOrDuplicates() throws Exception {
    try (Pipeline p =
        new Pipeline(
            ItSupport.sharedSettings("crash", DemoDatabase.TABLES, DemoDatabase.RELATIONS))) {
      p.startInfrastructure();
      AtomicBoolean loading = new AtomicBoolean(true);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try (Connection db = p.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 3);
        demo.createSchema();
        demo.load(300); // snapshot
        p.startServices(EnumSet.of(Stage.TRANSFORMER, Stage.SINK));
        Path config = writeConfig(p);
        SplittableRandom random = new SplittableRandom(11);
        Process source = startSource(config);
        Future<?> load;
        try (Connection writer = p.connect()) {
          DemoDatabase live = new DemoDatabase(writer, 5);
          live.adopt(demo);
          load =
              pool.submit(
                  () -> {
                    while (loading.get()) {
                      live.writeSome();
                      live.load(20);
                    }
                    return null;
                  });
          for (int round = 0; round < ROUNDS; round++) {
            // a random moment: the snapshot may still run in the first round, streaming later
            Thread.sleep(1500 + random.nextInt(2500));
            source.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertThat(source.isAlive()).isFalse();
            source = startSource(config);
          }
          Thread.sleep(1000);
          loading.set(false);
          load.get(60, TimeUnit.SECONDS);
        }
        try {
          SyncResult r =
              new SyncWaiter(p).await(Duration.ofSeconds(180), System.nanoTime(), () -> true);
          assertThat(r.synced()).as(r.toJson().toString()).isTrue();
          assertThat(r.mismatches()).isEmpty();
        } finally {
          source.destroy();
          source.waitFor(30, TimeUnit.SECONDS);
        }
      } finally {
        loading.set(false);
        pool.shutdownNow();
      }
    }
  }

  private static Path writeConfig(Pipeline p) throws IOException {
    Properties props = new Properties();
    props.putAll(p.properties(Stage.SOURCE));
    Path file = Files.createTempFile("source", ".properties");
    try (Writer w = Files.newBufferedWriter(file)) {
      props.store(w, "SourceCrashIT");
    }
    return file;
  }

  private static Process startSource(Path config) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = Files.createTempFile("source", ".log");
    return new ProcessBuilder(
            List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SourceMain.class.getName(),
                "--config",
                config.toString()))
        .redirectErrorStream(true)
        .redirectOutput(new File(log.toString()))
        .start();
  }
}
