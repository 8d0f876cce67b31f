package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.source.SourceMain;
import java.sql.Connection;
import java.time.Duration;
import java.util.EnumSet;
import java.util.SplittableRandom;
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
      try (Connection db = p.connect();
          Connection writer = p.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 3);
        demo.createSchema();
        demo.load(300); // snapshot
        p.startServices(EnumSet.of(Stage.TRANSFORMER, Stage.SINK));
        DemoDatabase live = new DemoDatabase(writer, 5);
        live.adopt(demo);
        try (ChildStage source = new ChildStage(SourceMain.class, p.properties(Stage.SOURCE))) {
          source.start();
          try (BackgroundLoad load = new BackgroundLoad(live, 20)) {
            // random moments: the snapshot may still run in the first round, streaming later
            source.killRounds(ROUNDS, new SplittableRandom(11));
            BackgroundLoad.letRun(Duration.ofSeconds(1));
          }
          SyncResult r = new SyncWaiter(p).await(Duration.ofSeconds(180), System.nanoTime(), 0);
          assertThat(r.synced()).as(r.toJson().toString()).isTrue();
          assertThat(r.mismatches()).isEmpty();
        }
      }
    }
  }
}
