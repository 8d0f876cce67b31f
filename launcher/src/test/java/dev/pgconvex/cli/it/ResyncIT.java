package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.Cdc;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.stack.testing.SharedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc resync} of every table while writes go on: rows that existed before the pipeline
 * started (no initial snapshot here) reach Convex, and newer streamed changes are not overwritten
 * by the re-read rows.
 */
@Timeout(300)
class ResyncIT {
  @Test
  void resyncDuringWritesBringsConvexInLineWithPostgres() throws Exception {
    PipelineSettings base =
        ItSupport.sharedSettings("resync", DemoDatabase.TABLES, DemoDatabase.RELATIONS);
    PipelineSettings settings = base.withOverride("source.snapshot.mode", "no_data");
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Connection writer = p.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 21);
        demo.createSchema();
        demo.load(600); // before the pipeline: not captured without a resync
        p.startServices();
        DemoDatabase live = new DemoDatabase(writer, 22);
        live.adopt(demo);
        Path pw = Files.createTempFile("pg", ".txt");
        Files.writeString(pw, SharedStack.postgres().password().reveal());
        // edits of existing messages go on meanwhile: the re-read rows must not undo them
        try (BackgroundLoad load = new BackgroundLoad(live, 0)) {
          for (String table : DemoDatabase.TABLES) {
            int code =
                Cdc.execute(
                    "resync",
                    "--pg-url",
                    settings.pgUrl(),
                    "--pg-user",
                    settings.pgUser(),
                    "--pg-password-file",
                    pw.toString(),
                    "--table",
                    table);
            assertThat(code).as("resync " + table).isZero();
          }
          BackgroundLoad.letRun(Duration.ofSeconds(3)); // edits go on while the resyncs read
        }
        SyncResult r =
            new SyncWaiter(p).await(Duration.ofSeconds(150), System.nanoTime(), p.currentWalLsn());
        assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        assertThat(r.tables().get("messages").convexDocs()).isGreaterThan(300);
      }
    }
  }
}
