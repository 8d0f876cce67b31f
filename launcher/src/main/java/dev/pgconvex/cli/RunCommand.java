package dev.pgconvex.cli;

import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Position;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc run}: the main job against a real database. Parts not given (Kafka, Convex) are
 * embedded. With {@code --exit-when-synced}, "synced" means Convex has applied every change up to
 * the WAL position that was current when the run started: the source has acknowledged that
 * position, the transformer and the sink have consumed everything, and no row waits for a parent.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Mirror a Postgres database into Convex until stopped (Ctrl-C or SIGTERM).")
final class RunCommand implements Callable<Integer> {
  @Option(
      names = "--exit-when-synced",
      description =
          "Exit 0 once Convex has applied every change up to the WAL position current at start.")
  boolean exitWhenSynced;

  @Option(
      names = "--json",
      description = "Print the summary as one JSON object on standard output.")
  boolean json;

  @Option(
      names = "--timeout-s",
      defaultValue = "1800",
      description = "With --exit-when-synced: how long to wait (default: ${DEFAULT-VALUE} s).")
  long timeoutSeconds;

  @Option(
      names = "--work-dir",
      defaultValue = ".cdc/run",
      description =
          "Where embedded servers and the generated Convex functions live; kept across runs (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(
      names = "--database",
      defaultValue = "postgres",
      description =
          "Database of the embedded Postgres, when no --pg-url is given (default: ${DEFAULT-VALUE}).")
  String database;

  @Mixin PipelineOptions options;

  @Override
  public Integer call() throws Exception {
    long start = System.nanoTime();
    try (StopSignal stop = StopSignal.install("run-stop", 30_000);
        Pipeline pipeline = new Pipeline(options.toSettings(workDir, false, database))) {
      pipeline.startInfrastructure();
      long startLsn = pipeline.currentWalLsn();
      pipeline.startServices();
      System.err.println(
          "Mirroring "
              + pipeline.mapping().tables().size()
              + " table(s) into "
              + pipeline.convexUrl()
              + "; metrics at "
              + pipeline.endpoint().url()
              + "/metrics; dashboard at "
              + pipeline.dashboardUrl()
              + (pipeline.dashboardNeedsToken() ? "?token=<dashboard.token>" : ""));
      if (exitWhenSynced) {
        return awaitSynced(pipeline, startLsn, start);
      }
      while (!stop.await(10_000)) {
        Pipeline.Progress p = pipeline.progress();
        System.err.printf(
            "changes read from Postgres %,d | ops applied in Convex %,d (rows and reference"
                + " patches) | rows waiting for a parent %,d | end-to-end lag %s | alerts %s%n",
            p.captured(), p.applied(), p.pendingRows(), p.lagText(), p.alertsText());
        String down = down(pipeline);
        if (down != null) {
          System.err.println("error: " + down);
          return 1;
        }
      }
      return 0;
    }
  }

  // Synced needs both: the pipeline has applied everything up to the WAL position current at
  // start (SyncCondition: the one definition), and Convex equals Postgres by content, checked
  // table by table. Counts that differ can never be reported as synced.
  private int awaitSynced(Pipeline pipeline, long startLsn, long start) throws Exception {
    SyncResult r =
        new SyncWaiter(pipeline).await(Duration.ofSeconds(timeoutSeconds), start, startLsn);
    if (json) {
      // snapshotRows 0: this run resumed streaming where the last one on the work dir stopped.
      System.out.println(
          Json.write(r.toJson().put("snapshotRows", pipeline.source().snapshotRowsRead())));
    } else {
      System.out.println(
          r.synced()
              ? "Synced up to WAL " + Position.lsnText(startLsn) + " in " + r.elapsedMs() + " ms"
              : "NOT synced: " + r.reason());
      r.tables()
          .forEach(
              (t, c) ->
                  System.out.printf(
                      "  %-20s postgres %,10d  convex %,10d%s%n",
                      t,
                      c.pgRows(),
                      c.convexDocs(),
                      c.pgRows() == c.convexDocs()
                          ? ""
                          : "  DIFFERS by " + (c.convexDocs() - c.pgRows())));
      r.mismatches().forEach(m -> System.out.println("  mismatch: " + m));
    }
    return r.synced() ? 0 : 1;
  }

  private static String down(Pipeline pipeline) {
    for (var s : pipeline.services()) {
      var h = s.health();
      if (!h.up()) {
        return s.name() + " is down: " + h.detail();
      }
    }
    return null;
  }
}
