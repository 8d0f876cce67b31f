package dev.pgconvex.cli;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.cutover.BarrierMarkers;
import dev.pgconvex.cutover.ChunkedMirrorVerify;
import dev.pgconvex.cutover.ConvexCutoverStore;
import dev.pgconvex.cutover.Cutover;
import dev.pgconvex.cutover.CutoverException;
import dev.pgconvex.cutover.CutoverReport;
import dev.pgconvex.cutover.Freeze;
import dev.pgconvex.cutover.FreezeMode;
import dev.pgconvex.cutover.LockFreeze;
import dev.pgconvex.cutover.ProcessHooks;
import dev.pgconvex.cutover.QualifiedTable;
import dev.pgconvex.cutover.ReadOnlyFreeze;
import dev.pgconvex.cutover.Readiness;
import dev.pgconvex.cutover.Step;
import dev.pgconvex.cutover.VerifyMode;
import dev.pgconvex.cutover.barrier.Barrier;
import dev.pgconvex.operations.ChainEvaluator;
import dev.pgconvex.operations.ChainStatus;
import dev.pgconvex.operations.StatusProbe;
import dev.pgconvex.operations.Thresholds;
import dev.pgconvex.schema.CatalogException;
import dev.pgconvex.sink.http.ConvexAuthException;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./cdc cutover}: the end of the dual run (see {@link Cutover}): readiness, a write freeze
 * on the captured tables, a marker barrier proving Convex holds every change committed before it,
 * verify, the operator's hooks, the switch recorded in {@code cdc_cutovers}, release. Any failure,
 * timeout or Ctrl-C/SIGTERM releases the freeze and leaves Postgres primary. Steps are printed on
 * standard error as they end; the report (or with {@code --json} one JSON object) on standard
 * output. Exit codes: 0 switched (with {@code --check}: ready; with {@code --abort}: done), 1
 * aborted or not ready, 2 bad input or nothing reachable (one line says why).
 */
@Command(
    name = "cutover",
    mixinStandardHelpOptions = true,
    description =
        "Switch the application from Postgres to Convex: readiness, write freeze, marker barrier"
            + " through every hop, verify, hooks, switch recorded in Convex, release; any failure"
            + " rolls back to Postgres primary.")
public final class CutoverCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin DatabaseOptions db;

  @Mixin ConvexOptions convexOptions;

  @Mixin MappingOptions tables = new MappingOptions();

  @Option(
      names = "--endpoint",
      description =
          "A stage's HTTP endpoint, as for 'status' (repeatable). Default: the pipeline that"
              + " ./cdc run or ./cdc demo runs here.")
  List<String> endpoints = new ArrayList<>();

  @Option(
      names = "--work-dir",
      description =
          "Where to find a local pipeline's pipeline.json (default: .cdc/run, .cdc/demo).")
  Path workDir;

  @Option(
      names = "--prefix",
      description =
          "The pipeline's cdc.topic.prefix (default: the local pipeline's, else pgconvex).")
  String prefix;

  @Option(
      names = "--partitions",
      defaultValue = "4",
      description =
          "Ops partitions the marker must reach, cdc.topic.partitions (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--freeze",
      defaultValue = "lock",
      description =
          "lock (writers wait on a table lock), read-only (new write transactions fail) or none"
              + " (a rehearsal: no pause) (default: ${DEFAULT-VALUE}).")
  String freeze;

  @Option(
      names = "--freeze-role",
      description =
          "With --freeze read-only: the application's role (default: the whole database).")
  String freezeRole;

  @Option(
      names = "--freeze-timeout-s",
      defaultValue = "5",
      description =
          "How long taking the freeze may wait for running write transactions; lock: then give"
              + " up, read-only: then end their sessions (default: ${DEFAULT-VALUE}).")
  int freezeTimeoutS;

  @Option(
      names = "--max-pause-s",
      defaultValue = "30",
      description =
          "The longest write pause: freeze to release, drain, verify and hooks included; past it"
              + " the cutover aborts (default: ${DEFAULT-VALUE}).")
  int maxPauseS;

  @Option(
      names = "--max-lag-ms",
      defaultValue = "" + dev.pgconvex.cli.pipeline.CutoverReadiness.MAX_LAG_MS,
      description = "Readiness: the largest end-to-end lag (default: ${DEFAULT-VALUE}).")
  long maxLagMs;

  @Option(
      names = "--orphan-after-ms",
      defaultValue = "30000",
      description =
          "Readiness: a row held for a parent longer than this is an orphan; younger ones are in"
              + " flight (default: ${DEFAULT-VALUE}; the transformer's age can be 10 s stale).")
  long orphanAfterMs;

  @Option(
      names = "--accept-dead-letters",
      defaultValue = "0",
      description =
          "Readiness: dead letters (since the stages started) you have looked at and accept"
              + " (default: ${DEFAULT-VALUE}).")
  long acceptDeadLetters;

  @Option(
      names = "--verify",
      defaultValue = "changed",
      description =
          "changed (keys changed since the last clean verify a cutover recorded), full or none"
              + " (default: ${DEFAULT-VALUE}).")
  String verify;

  @Option(
      names = "--on-frozen",
      paramLabel = "CMD",
      description =
          "Run once everything is proven, still frozen (e.g. flip the application to Convex);"
              + " non-zero exit aborts.")
  String onFrozen;

  @Option(
      names = "--on-switched",
      paramLabel = "CMD",
      description = "Run after --on-frozen, before the release; non-zero exit aborts.")
  String onSwitched;

  @Option(
      names = "--hook-timeout-s",
      defaultValue = "30",
      description = "The longest a hook may run (default: ${DEFAULT-VALUE}).")
  int hookTimeoutS;

  @Option(
      names = "--poll-ms",
      defaultValue = "50",
      description =
          "How often the barrier reads the marker's confirmations (default: ${DEFAULT-VALUE}).")
  int pollMs;

  @Option(names = "--check", description = "Only the readiness checks (exit 0 ready, 1 not).")
  boolean check;

  @Option(
      names = "--abort",
      description =
          "Undo a read-only freeze a cutover left behind (its process died) and mark its"
              + " cutover aborted.")
  boolean abort;

  @Option(names = "--json", description = "Print one JSON object (the interface for scripts).")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      FreezeMode mode = FreezeMode.parse(freeze);
      VerifyMode verifyMode = VerifyMode.parse(verify);
      if (maxPauseS < 1 || freezeTimeoutS < 1 || hookTimeoutS < 1 || partitions < 1 || pollMs < 1) {
        throw new UserFacingException(
            "--max-pause-s, --freeze-timeout-s, --hook-timeout-s, --partitions and --poll-ms must"
                + " be at least 1");
      }
      if (freezeRole != null && mode != FreezeMode.READ_ONLY) {
        throw new UserFacingException("--freeze-role goes with --freeze read-only");
      }
      return abort ? abortLeftovers(out) : cutover(mode, verifyMode, out, err);
    } catch (IllegalArgumentException | UserFacingException | CatalogException e) {
      return cannot(err, e.getMessage(), e);
    } catch (ConvexAuthException e) {
      return cannot(
          err,
          "Convex refused the admin key (HTTP "
              + e.httpStatus()
              + "): check CONVEX_ADMIN_KEY or --convex-admin-key-file",
          e);
    } catch (ConvexException e) {
      return cannot(err, "Convex: " + ErrorHandler.oneLine(e), e);
    } catch (SQLException e) {
      return cannot(err, "Postgres: " + ErrorHandler.oneLine(e), e);
    } catch (IOException e) {
      return cannot(err, ErrorHandler.oneLine(e), e);
    }
  }

  private int cutover(FreezeMode mode, VerifyMode verifyMode, PrintWriter out, PrintWriter err)
      throws SQLException, IOException {
    List<String> urls = endpoints;
    String pipeline = prefix;
    if (urls.isEmpty()) {
      LocalPipeline local = LocalPipeline.find(workDir);
      urls = List.of(local.endpoint());
      if (pipeline == null) {
        pipeline = local.prefix();
      }
    }
    String name = pipeline == null ? "pgconvex" : pipeline;
    String id = newId();
    LockFreeze.Connector connector = () -> db.connect("pgconvex-cutover");
    Mapping m;
    try (Connection c = connector.open()) {
      if (!check) {
        for (String undone : ReadOnlyFreeze.undoLeftovers(c)) {
          err.println("cutover: undid a read-only freeze left behind: " + undone);
        }
      }
      m = tables.read(c);
    }
    List<QualifiedTable> captured =
        m.tables().stream().map(t -> new QualifiedTable(t.schema(), t.table())).toList();
    StatusProbe probe = new StatusProbe(urls, new ChainEvaluator(Thresholds.DEFAULTS));
    Freeze f =
        switch (mode) {
          case LOCK -> new LockFreeze(connector, captured);
          case READ_ONLY -> new ReadOnlyFreeze(connector, freezeRole, id);
          default -> Freeze.NONE;
        };
    OutputStream hookOutput = new PrintStreamOutput(err);
    // Convex calls during the freeze are bounded well below the pause they are part of.
    try (ConvexClient convex = convexOptions.client(Duration.ofSeconds(10));
        BarrierMarkers markers =
            new BarrierMarkers(
                connector, name, new Barrier(convex, partitions), Duration.ofMillis(pollMs));
        StopSignal signal = StopSignal.install("pgconvex-cutover-stop", 30_000)) {
      ConvexCutoverStore store = new ConvexCutoverStore(convex, name);
      Readiness.Limits limits =
          new Readiness.Limits(
              maxLagMs,
              partitions,
              acceptDeadLetters,
              verifyMode == VerifyMode.FULL,
              orphanAfterMs);
      Cutover cutover =
          new Cutover(
              new Cutover.Plan(
                  id,
                  name,
                  Duration.ofSeconds(maxPauseS),
                  Duration.ofSeconds(freezeTimeoutS),
                  verifyMode,
                  onFrozen,
                  onSwitched,
                  Duration.ofSeconds(hookTimeoutS)),
              new Cutover.Parts(
                  () -> {
                    ChainStatus chain = probe.read();
                    Readiness.LastVerify last;
                    try {
                      last = store.lastVerify();
                    } catch (ConvexException e) {
                      throw new CutoverException(
                          "Convex did not answer "
                              + ConvexCutoverStore.LAST_VERIFY
                              + " ("
                              + ErrorHandler.oneLine(e)
                              + "): deploy the pipeline's Convex module again (cdc/cutover.ts)");
                    }
                    return Readiness.evaluate(chain, last, limits);
                  },
                  f,
                  markers,
                  new ChunkedMirrorVerify(connector, m, convex, 1000, 2),
                  new ProcessHooks(hookOutput),
                  store,
                  () -> stopRequested(signal),
                  s -> progress(err, s)));
      if (!check) {
        err.printf(
            Locale.ROOT,
            "cutover %s of pipeline %s: freeze %s, verify %s, at most %d s of pause%n",
            id,
            name,
            mode.word(),
            verifyMode.word(),
            maxPauseS);
        err.flush();
      }
      CutoverReport report = cutover.run(check);
      if (json) {
        out.println(Json.write(report.toJson()));
        out.flush();
      } else {
        report.print(out);
      }
      return report.exitCode();
    }
  }

  // --abort: a read-only freeze stays in the catalog when its cutover died; a lock ended with it.
  private int abortLeftovers(PrintWriter out) throws SQLException {
    List<String> undone;
    try (Connection c = db.connect("pgconvex-cutover")) {
      undone = ReadOnlyFreeze.undoLeftovers(c);
    }
    String pipeline = prefix == null ? "pgconvex" : prefix;
    String marked = null;
    if (convexOptions.urlOrNull() != null) {
      try (ConvexClient convex = convexOptions.client()) {
        var last = ConvexCutoverStore.lastCutover(convex, pipeline);
        String state = last == null ? null : last.path("state").asText();
        if (last != null && !"switched".equals(state) && !"aborted".equals(state)) {
          marked = last.path("cutoverId").asText();
          convex.mutation(
              ConvexCutoverStore.RECORD,
              Json.NODES
                  .objectNode()
                  .put("pipeline", pipeline)
                  .put("cutoverId", marked)
                  .put("state", "aborted")
                  .put("step", last.path("state").asText())
                  .put("reason", "ended by ./cdc cutover --abort"));
        }
      }
    }
    if (json) {
      var o = Json.NODES.objectNode().put("result", "aborted");
      undone.forEach(o.putArray("undone")::add);
      if (marked == null) {
        o.putNull("cutoverId");
      } else {
        o.put("cutoverId", marked);
      }
      out.println(Json.write(o));
    } else {
      undone.forEach(u -> out.println("undone: read-only freeze of " + u));
      if (marked != null) {
        out.println("cutover " + marked + " marked aborted in Convex");
      }
      if (undone.isEmpty() && marked == null) {
        out.println("nothing to undo: no freeze left behind");
      }
    }
    out.flush();
    return 0;
  }

  private static boolean stopRequested(StopSignal signal) {
    try {
      return signal.await(0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private static void progress(PrintWriter err, Step s) {
    err.printf(
        Locale.ROOT,
        "cutover: %-12s %-9s %6d ms  %s%n",
        s.name(),
        s.outcome().word(),
        s.ms(),
        s.detail());
    err.flush();
  }

  private static String newId() {
    byte[] r = new byte[2];
    ThreadLocalRandom.current().nextBytes(r);
    return "c-"
        + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
        + "-"
        + HexFormat.of().formatHex(r);
  }

  private int cannot(PrintWriter err, String reason, Exception e) {
    err.println("cannot cut over: " + reason);
    if (Cdc.verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return 2;
  }

  /** The hooks' output, onto the command's standard error. */
  private static final class PrintStreamOutput extends OutputStream {
    private final PrintWriter err;

    PrintStreamOutput(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      err.print(new String(b, off, len, StandardCharsets.UTF_8));
    }

    @Override
    public void flush() {
      err.flush();
    }
  }
}
