package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.schema.CatalogException;
import dev.pgconvex.sink.http.ConvexAuthException;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexException;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.signal.ResyncSignal;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.MirrorRepair;
import dev.pgconvex.verify.VerifyException;
import dev.pgconvex.verify.VerifyReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./cdc verify}: proves the Convex mirror equals Postgres, table by table and key by key,
 * also while the pipeline runs (see {@link MirrorCheck}); with {@code --repair}, re-syncs the
 * differing keys and deletes the extra documents, then checks those keys again. Exit codes: 0 equal
 * (after a repair: everything fixed), 1 differences, 2 could not verify (one line says why).
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description =
        "Compare the Convex mirror with Postgres by content, in key-range chunks (count and hash per"
            + " chunk, keys only where they differ); --repair re-syncs what differs.")
public final class VerifyCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin DatabaseOptions db;

  @Mixin MappingOptions tables = new MappingOptions();

  @Mixin ConvexOptions convexOptions = new ConvexOptions();

  // The deployment's URL once known, for messages.
  private String convexUrl;

  @Option(
      names = "--chunk-rows",
      defaultValue = "1000",
      description = "Rows per compared chunk (default: ${DEFAULT-VALUE}).")
  int chunkRows;

  @Option(
      names = "--parallel",
      defaultValue = "2",
      description = "Chunks compared at the same time (default: ${DEFAULT-VALUE}).")
  int parallel;

  @Option(
      names = "--settle-timeout-s",
      defaultValue = "30",
      description =
          "How long a differing key may take to settle while the pipeline applies changes"
              + " (default: ${DEFAULT-VALUE}).")
  int settleTimeoutS;

  @Option(
      names = "--checkpoint-source",
      description =
          "The sink checkpoint to wait for (sink.checkpoint.source; default: the lowest in Convex).")
  String checkpointSource;

  @Option(
      names = "--max-listed",
      defaultValue = "1000",
      description = "Keys listed per table and class (default: ${DEFAULT-VALUE}).")
  int maxListed;

  @Option(
      names = "--repair",
      description =
          "Re-sync the differing keys (resync signal) and delete extra documents, then re-check.")
  boolean repair;

  @Option(
      names = "--repair-timeout-s",
      defaultValue = "120",
      description =
          "How long the repaired keys may take to come right (default: ${DEFAULT-VALUE}).")
  int repairTimeoutS;

  @Option(
      names = "--signal-table",
      defaultValue = SourceConfig.DEFAULT_SIGNAL_TABLE,
      description = "The source's signal table, for --repair (default: ${DEFAULT-VALUE}).")
  String signalTable;

  @Option(names = "--json", description = "Print one JSON object (the interface for scripts).")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (chunkRows < 1 || parallel < 1 || settleTimeoutS < 0 || maxListed < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--chunk-rows, --parallel and --max-listed must be at least 1, --settle-timeout-s at"
              + " least 0");
    }
    try {
      return verify(out, err);
    } catch (VerifyException | CatalogException | UserFacingException e) {
      return cannotVerify(err, e.getMessage(), e);
    } catch (ConvexAuthException e) {
      return cannotVerify(
          err,
          "Convex at "
              + convexUrl
              + " refused the admin key (HTTP "
              + e.httpStatus()
              + "): check CONVEX_ADMIN_KEY or --convex-admin-key-file",
          e);
    } catch (ConvexException e) {
      return cannotVerify(err, convexProblem(e), e);
    } catch (SQLException e) {
      return cannotVerify(err, "Postgres: " + ErrorHandler.oneLine(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return cannotVerify(err, "interrupted", e);
    } catch (IOException e) {
      return cannotVerify(err, e.getMessage(), e);
    }
  }

  private int verify(PrintWriter out, PrintWriter err)
      throws SQLException, IOException, InterruptedException {
    convexUrl = convexOptions.urlOrNull();
    Properties props = db.properties("pgconvex-verify");
    MirrorCheck.Connector connector = () -> DriverManager.getConnection(db.url, props);
    Mapping m;
    try (Connection c = connector.open()) {
      m = tables.read(c);
    }
    try (ConvexClient convex =
        convexOptions.client(Duration.ofSeconds(60), Math.max(2, parallel + 1))) {
      boolean tty = !json && System.console() != null;
      MirrorCheck check =
          new MirrorCheck(
              connector,
              m,
              convex,
              new MirrorCheck.Options(
                  chunkRows,
                  parallel,
                  Duration.ofSeconds(settleTimeoutS),
                  checkpointSource,
                  maxListed),
              tty ? new ProgressLine(err) : MirrorCheck.Progress.NONE);
      VerifyReport report = check.run(List.of());
      if (tty) {
        err.print("\r\033[K");
        err.flush();
      }
      MirrorRepair.Result repaired = null;
      if (repair && !report.equal()) {
        TableId signals = TableId.parse(signalTable);
        repaired =
            new MirrorRepair(
                    check,
                    connector,
                    convex,
                    (c, t, condition) ->
                        new ResyncSignal(new TableId(t.schema(), t.table()), condition)
                            .send(c, signals))
                .repair(report, Duration.ofSeconds(repairTimeoutS));
      }
      if (json) {
        ObjectNode o = report.toJson();
        if (repaired != null) {
          o.set("repair", repaired.toJson());
        }
        out.println(Json.write(o));
      } else {
        report.print(out);
        if (repaired != null) {
          printRepair(out, repaired);
        }
      }
      out.flush();
      if (repaired != null) {
        return repaired.fixed() ? 0 : 1;
      }
      return report.equal() ? 0 : 1;
    }
  }

  // A resolved mapping names its tables itself: --tables then picks some of them.
  private Mapping restrict(Mapping m) {
    if (tables.tables.isEmpty()) {
      return m;
    }
    List<dev.pgconvex.common.mapping.TableMapping> picked = new ArrayList<>();
    for (String name : tables.tables) {
      String schema = name.contains(".") ? name.substring(0, name.indexOf('.')) : null;
      String table = name.contains(".") ? name.substring(name.indexOf('.') + 1) : name;
      var match =
          m.tables().stream()
              .filter(
                  t ->
                      t.table().equals(table) && (schema == null || t.schema().equals(schema))
                          || t.target().equals(name))
              .findFirst();
      if (match.isEmpty()) {
        throw new VerifyException("unknown table " + name + ": it is not in the mapping");
      }
      if (!picked.contains(match.get())) {
        picked.add(match.get());
      }
    }
    return new Mapping(picked);
  }

  private static void printRepair(PrintWriter out, MirrorRepair.Result r) {
    r.requested()
        .forEach(
            (t, keys) ->
                out.printf(
                    Locale.ROOT, "repair: %s: %d keys re-synced or deleted%n", t, keys.size()));
    r.remaining()
        .forEach(
            (t, l) ->
                l.forEach(
                    f ->
                        out.printf(
                            Locale.ROOT, "repair: %s %s still %s%n", t, f.key(), f.describe())));
    out.println(
        r.fixed()
            ? "repair: done, the re-checked keys are equal"
            : "repair: not everything is fixed (is the pipeline running?)");
  }

  private String convexProblem(ConvexException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e.httpStatus() < 0) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String why = root.getMessage() == null ? "no answer" : root.getMessage();
      return "cannot reach Convex at " + convexUrl + " (" + why + ")";
    }
    if (m.contains("cdc/verify")) {
      return "Convex at "
          + convexUrl
          + " does not have the verification queries (cdc/verify.ts): deploy the pipeline's"
          + " Convex module again ("
          + m
          + ")";
    }
    return "Convex at " + convexUrl + ": " + m;
  }

  private int cannotVerify(PrintWriter err, String reason, Exception e) {
    err.println("cannot verify: " + reason);
    if (Cdc.verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return 2;
  }

  /** One line on stderr, rewritten: rows compared of the total, per table, rate and ETA. */
  private static final class ProgressLine implements MirrorCheck.Progress {
    private final PrintWriter err;
    private final long t0 = System.nanoTime();
    private long last;

    ProgressLine(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void rows(String table, long done, long total, long allDone, long allTotal) {
      long now = System.nanoTime();
      if (now - last < 200_000_000L && done < total) {
        return;
      }
      last = now;
      double s = Math.max(1e-3, (now - t0) / 1e9);
      long rate = (long) (allDone / s);
      long eta = rate == 0 ? 0 : Math.max(0, allTotal - allDone) / rate;
      int pct = allTotal == 0 ? 100 : (int) Math.min(100, allDone * 100 / allTotal);
      err.printf(
          Locale.ROOT,
          "\r\033[K%s %,d/%,d rows | all %3d%% %,d/%,d | %,d rows/s | ETA %d s",
          table,
          done,
          total,
          pct,
          allDone,
          allTotal,
          rate,
          eta);
      err.flush();
    }

    @Override
    public void unkeyedScanned(String table, long docs) {
      long now = System.nanoTime();
      if (now - last < 200_000_000L) {
        return;
      }
      last = now;
      err.printf(
          Locale.ROOT, "\r\033[K%s: %,d documents walked for ones without a key row", table, docs);
      err.flush();
    }
  }
}
