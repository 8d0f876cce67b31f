package dev.pgconvex.cli;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.verify.MirrorVerifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc demo}: the whole pipeline on the embedded stack with the seed's
 * users/threads/messages tables. Half the rows exist before the pipeline starts (snapshot), half
 * arrive while it runs (streaming), with some updates and deletes, and children committed before
 * their parents.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the pipeline on the embedded stack with the demo tables and a live write load.",
      "With --exit-when-synced: load the rows, wait until Convex matches Postgres, print the summary, exit."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--rows",
      defaultValue = "1000",
      description = "Rows to load, spread over the tables (default: ${DEFAULT-VALUE}).")
  int rows;

  @Option(
      names = "--exit-when-synced",
      description = "Exit 0 once Convex matches Postgres; non-zero on timeout or mismatch.")
  boolean exitWhenSynced;

  @Option(
      names = "--json",
      description = "Print the summary as one JSON object on standard output.")
  boolean json;

  @Option(
      names = "--timeout-s",
      defaultValue = "600",
      description = "With --exit-when-synced: how long to wait (default: ${DEFAULT-VALUE} s).")
  long timeoutSeconds;

  @Option(
      names = "--work-dir",
      defaultValue = ".cdc/demo",
      description =
          "Where the embedded servers keep their data; wiped at start (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Mixin PipelineOptions options;

  @Override
  public Integer call() throws Exception {
    long start = System.nanoTime();
    if (options.tables.isEmpty()) {
      options.tables.addAll(DemoDatabase.TABLES);
    }
    if (options.relations.isEmpty()) {
      options.relations.addAll(DemoDatabase.RELATIONS);
    }
    if (options.pgUrl != null) {
      throw new UserFacingException(
          "demo creates its own tables and runs on the embedded Postgres; use"
              + " './cdc run --pg-url ...' for your database");
    }
    try (StopSignal stop = StopSignal.install("demo-stop", 20_000);
        Pipeline pipeline = new Pipeline(options.toSettings(workDir, true, "pgconvex_demo"))) {
      pipeline.startInfrastructure();
      try (Connection db = pipeline.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 42);
        demo.createSchema();
        int before = rows / 2;
        demo.load(before);
        status("Loaded " + before + " rows before start (snapshot); starting the pipeline...");
        pipeline.startServices();
        demo.load(rows - before);
        demo.churn(rows / 20, rows / 100);
        status(
            "Loaded "
                + (rows - before)
                + " rows while running (streaming), with updates and deletes.");
        if (exitWhenSynced) {
          SyncResult r =
              new SyncWaiter(pipeline)
                  .await(Duration.ofSeconds(timeoutSeconds), start, pipeline.currentWalLsn());
          print(r);
          return r.synced() ? 0 : 1;
        }
        interactive(pipeline, demo, stop);
        return 0;
      }
    }
  }

  private void interactive(Pipeline pipeline, DemoDatabase demo, StopSignal stop) throws Exception {
    PrintStream out = System.out;
    out.println();
    out.println("pgconvex demo is running: Postgres -> Kafka -> Convex. Ctrl-C to stop.");
    var pg = pipeline.embeddedPostgres();
    String db = pipeline.jdbcUrl().substring(pipeline.jdbcUrl().lastIndexOf('/') + 1);
    out.println("  Postgres:  " + pipeline.jdbcUrl());
    if (pg != null) {
      // A local, throw-away server: its password is shown so a change can be tried by hand.
      out.printf(
          "             try a change: PGPASSWORD=%s psql -h 127.0.0.1 -p %d -U %s %s%n",
          pg.password().reveal(), pg.port(), pg.user(), db);
      out.println(
          "             e.g. UPDATE users SET name = 'Ada' WHERE id = 1; and watch it arrive below");
    }
    out.println("  Convex:    " + pipeline.convexUrl() + " (the local emulator)");
    out.printf(
        "             see documents: curl -s -H 'Authorization: Convex %s' '%s/api/list_snapshot?tableName=users'%n",
        pipeline.convexAdminKey().reveal(), pipeline.convexUrl());
    out.println("  Kafka:     " + pipeline.bootstrapServers());
    out.println(
        "  Dashboard: "
            + pipeline.dashboardUrl()
            + (pipeline.dashboardNeedsToken() ? "?token=<dashboard.token>" : "")
            + "   (live: tables, lag, stages, alerts)");
    out.println(
        "  Status:    ./cdc status   (or "
            + pipeline.endpoint().url()
            + "/status, /metrics, /alerts)");
    if (LogFile.current() != null) {
      out.println("  Log:       " + LogFile.current() + "   (--verbose: on screen)");
    }
    out.println(
        "  (one change read can make more than one op: a row, then a patch once its parent's id"
            + " is known)");
    out.println();
    boolean terminal = System.console() != null;
    LiveStatus live = new LiveStatus(pipeline);
    try (Connection c = pipeline.connect()) {
      MirrorVerifier counter =
          new MirrorVerifier(
              c, pipeline.mapping(), (path, args) -> pipeline.convex().query(path, args));
      long lastPrint = 0;
      int printed = 0;
      boolean stopped = false;
      String loadStopped = null;
      while (!stopped) {
        if (loadStopped == null) {
          try {
            demo.writeSome();
          } catch (java.sql.SQLException e) {
            // A change made by hand (a column renamed, say) may break the demo's own writes: the
            // pipeline goes on, so what it does with that change can be watched.
            // a batch error carries every statement: its cause's first line says what
            java.sql.SQLException why = e.getNextException() != null ? e.getNextException() : e;
            loadStopped =
                "  (the demo's write load stopped: "
                    + String.valueOf(why.getMessage()).lines().findFirst().orElse("")
                    + "; the pipeline goes on)";
          }
        }
        long now = System.currentTimeMillis();
        if (now - lastPrint >= (terminal ? 1000 : 5000)) {
          List<String> block;
          try {
            block = live.render(counter.counts());
          } catch (RuntimeException e) {
            // Reading the counts must never stop the demo: Convex may throttle or be away (the
            // pipeline retries by itself, and its alerts say so).
            block = live.render(Map.of());
            block.add(0, "  (table counts not read this time: " + e.getMessage() + ")");
          }
          if (loadStopped != null) {
            block.add(loadStopped);
          }
          if (terminal && printed > 0) {
            out.print("\033[" + printed + "A\033[J"); // back to the block's start, then redraw
          }
          block.forEach(out::println);
          printed = block.size();
          lastPrint = now;
        }
        stopped = stop.await(200);
      }
    }
    out.println("Stopping...");
  }

  private void print(SyncResult r) {
    if (json) {
      System.out.println(Json.write(r.toJson()));
    } else {
      System.out.println(
          (r.synced() ? "In sync" : "NOT in sync: " + r.reason())
              + " after "
              + r.elapsedMs()
              + " ms");
      r.tables()
          .forEach(
              (t, c) ->
                  System.out.printf(
                      "  %-12s postgres %,8d  convex %,8d%n", t, c.pgRows(), c.convexDocs()));
      r.mismatches().forEach(m -> System.out.println("  mismatch: " + m));
    }
  }

  private void status(String line) {
    System.err.println(line);
  }
}
