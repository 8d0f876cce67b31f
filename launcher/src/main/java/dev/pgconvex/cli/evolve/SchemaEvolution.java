package dev.pgconvex.cli.evolve;

import dev.pgconvex.cli.evolve.MigrationRecords.State;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.FunctionsFolder;
import dev.pgconvex.schema.evolve.EvolutionPlan;
import dev.pgconvex.schema.evolve.EvolutionPlan.Step;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.signal.ResyncSignal;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.TableResult;
import dev.pgconvex.verify.VerifyReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps of {@code ./cdc schema evolve} on a running mirror, after the Convex way of changing a
 * schema without downtime (add the new field as optional, backfill, make it required and remove the
 * old one):
 *
 * <ol>
 *   <li><b>widen</b>: plans the evolution from the running mapping and the live catalog ({@link
 *       EvolutionPlan}), writes the widened functions folder, deploys it (or says how), and only
 *       then writes the widened mapping where the transformer re-reads it: the tables held for
 *       schema drift go on in order.
 *   <li><b>backfill</b>: re-reads every row of the changed tables from Postgres through the
 *       source's incremental snapshot ({@code ./cdc resync}), so each document is replaced by one
 *       of the new shape, and verifies the tables by content until they equal Postgres.
 *   <li><b>narrow</b>: verifies again, writes the final schema (new fields required where the
 *       column is NOT NULL, old ones gone), deploys it (Convex refuses a schema its documents do
 *       not match) and writes the final mapping.
 * </ol>
 *
 * <p>{@link #rollback} returns a failed narrow to the widened schema. Each step is recorded in
 * {@code cdc_migrations} ({@link MigrationRecords}); the plan lives beside the mapping as {@code
 * pgconvex.evolution.json}.
 */
public final class SchemaEvolution {
  /** What a step needs. */
  public record Context(
      Path functions,
      Path project,
      boolean deploy,
      MirrorCheck.Connector pg,
      dev.pgconvex.sink.http.ConvexClient convex,
      String convexUrl,
      dev.pgconvex.common.config.Secret convexKey,
      MigrationRecords records,
      TableId signalTable,
      Duration backfillTimeout,
      PrintWriter out) {
    Path mappingFile() {
      return functions.resolve(FunctionsFolder.MAPPING_FILE);
    }

    Path planFile() {
      return functions.resolve(EvolutionPlan.FILE);
    }
  }

  /** The catalog's mapping now, read as the running one was. */
  @FunctionalInterface
  public interface CatalogRead {
    Mapping read(Connection c, Mapping running) throws SQLException;
  }

  /** A step cannot run, and why: one line for the user. */
  public static final class StepException extends RuntimeException {
    public StepException(String message) {
      super(message);
    }
  }

  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final Context ctx;

  public SchemaEvolution(Context ctx) {
    this.ctx = ctx;
  }

  /** The plan in progress, or null. */
  public EvolutionPlan plan() {
    return Files.exists(ctx.planFile()) ? EvolutionPlan.read(ctx.planFile()) : null;
  }

  /** Plans from the catalog without writing anything; null when nothing changed. */
  public EvolutionPlan preview(CatalogRead catalog) throws SQLException {
    EvolutionPlan p = newPlan(catalog);
    return p.isEmpty() ? null : p;
  }

  /**
   * The widen step; see the class comment. With {@code deployed}, the folder written by an earlier
   * {@code widen} without {@code --deploy} is taken as deployed and the mapping is written.
   *
   * @return the plan, or null when the catalog matches the running mapping
   */
  public EvolutionPlan widen(CatalogRead catalog, boolean deployed)
      throws SQLException, IOException, InterruptedException {
    EvolutionPlan plan = plan();
    if (plan != null) {
      State narrow = ctx.records().state(plan.id(), Step.NARROW);
      State widen = ctx.records().state(plan.id(), Step.WIDEN);
      if (narrow != State.COMPLETED && !(deployed && widen == State.PENDING)) {
        throw new StepException(
            "migration "
                + plan.id()
                + " is in progress (widen "
                + text(widen)
                + ", narrow "
                + text(narrow)
                + "): finish it with ./cdc schema evolve backfill and narrow, or roll it back");
      }
      if (narrow == State.COMPLETED) {
        plan = null;
      }
    }
    if (plan == null) {
      if (deployed) {
        throw new StepException("no widened folder waits for its deploy: run widen first");
      }
      plan = newPlan(catalog);
      if (plan.isEmpty()) {
        return null;
      }
      plan.write(ctx.planFile());
    }
    ctx.out().println("Migration " + plan.id() + ":");
    plan.tables().forEach(t -> ctx.out().println("  " + t.describe()));
    if (!deployed) {
      FunctionsFolder.writeSchema(plan.widened(), ctx.functions());
      ctx.out().println("Widened Convex schema written to " + ctx.functions() + "/schema.ts");
      if (!deploy(plan, Step.WIDEN)) {
        return plan;
      }
    }
    install(plan.widened());
    ctx.records().record(plan, Step.WIDEN, State.COMPLETED, null, null, null);
    ctx.out()
        .println(
            "Widened mapping written to "
                + ctx.mappingFile()
                + ": the transformer takes it within transformer.mapping.reload.interval.ms and"
                + " the held changes go on in order. Next: ./cdc schema evolve backfill");
    return plan;
  }

  /** The backfill step; see the class comment. */
  public VerifyReport backfill() throws SQLException, InterruptedException {
    EvolutionPlan plan = requirePlan();
    requireState(plan, Step.WIDEN, State.COMPLETED, "widen");
    List<TableMapping> tables = changedTables(plan, plan.widened());
    long total = rowCount(tables);
    ctx.records().record(plan, Step.BACKFILL, State.RUNNING, 0L, total, null);
    long t0 = System.nanoTime();
    try (Connection c = ctx.pg().open()) {
      for (TableMapping t : tables) {
        String id =
            new ResyncSignal(new TableId(t.schema(), t.table()), null).send(c, ctx.signalTable());
        ctx.out().println("Backfill of " + t.qualifiedName() + ": re-read signalled (" + id + ")");
      }
    }
    long deadline = System.nanoTime() + ctx.backfillTimeout().toNanos();
    VerifyReport report;
    while (true) {
      report = verify(plan.widened(), tables);
      long differing = differing(report);
      long processed = Math.max(0, total - differing);
      ctx.out()
          .printf(
              "Backfill: %,d of %,d rows in the new shape (%d s)%n",
              processed, total, (System.nanoTime() - t0) / 1_000_000_000L);
      ctx.out().flush();
      if (report.equal()) {
        ctx.records().record(plan, Step.BACKFILL, State.COMPLETED, total, total, null);
        ctx.out()
            .println(
                "Backfill verified: the tables equal Postgres. Next: ./cdc schema evolve narrow");
        return report;
      }
      ctx.records().record(plan, Step.BACKFILL, State.RUNNING, processed, total, null);
      if (System.nanoTime() > deadline) {
        String why =
            differing
                + " rows still differ after "
                + ctx.backfillTimeout().toSeconds()
                + " s: is the source running and the resync progressing (./cdc status)?";
        ctx.records().record(plan, Step.BACKFILL, State.FAILED, processed, total, why);
        throw new StepException("backfill not verified: " + why + " Run backfill again.");
      }
      Thread.sleep(2000); // a pass reads every row: pace the next one
    }
  }

  /** The narrow step; see the class comment. */
  public EvolutionPlan narrow() throws SQLException, IOException, InterruptedException {
    EvolutionPlan plan = requirePlan();
    requireState(plan, Step.BACKFILL, State.COMPLETED, "backfill");
    ctx.records().record(plan, Step.NARROW, State.RUNNING, null, null, null);
    VerifyReport report = verify(plan.narrowed(), changedTables(plan, plan.narrowed()));
    if (!report.equal()) {
      String why = differing(report) + " rows differ from Postgres under the final mapping";
      ctx.records().record(plan, Step.NARROW, State.FAILED, null, null, why);
      throw new StepException(
          "narrow refused: " + why + "; run ./cdc schema evolve backfill again, then narrow");
    }
    FunctionsFolder.writeSchema(plan.narrowed(), ctx.functions());
    ctx.out().println("Final Convex schema written to " + ctx.functions() + "/schema.ts");
    if (!deploy(plan, Step.NARROW)) {
      return plan;
    }
    install(plan.narrowed());
    ctx.records().record(plan, Step.NARROW, State.COMPLETED, null, null, null);
    ctx.out()
        .println(
            "Final mapping written to "
                + ctx.mappingFile()
                + ": migration "
                + plan.id()
                + " completed.");
    return plan;
  }

  /** Marks a narrow deployed by hand (after {@code narrow} without {@code --deploy}). */
  public EvolutionPlan narrowDeployed() {
    EvolutionPlan plan = requirePlan();
    requireState(plan, Step.NARROW, State.PENDING, "narrow (without --deploy)");
    install(plan.narrowed());
    ctx.records().record(plan, Step.NARROW, State.COMPLETED, null, null, null);
    ctx.out()
        .println(
            "Final mapping written to "
                + ctx.mappingFile()
                + ": migration "
                + plan.id()
                + " completed.");
    return plan;
  }

  /** Returns to the widened schema and mapping after a failed or completed narrow. */
  public EvolutionPlan rollback() throws IOException, InterruptedException {
    EvolutionPlan plan = requirePlan();
    FunctionsFolder.writeSchema(plan.widened(), ctx.functions());
    if (ctx.deploy()) {
      ConvexDeploy.Result r = deployer().run(300);
      if (!r.ok()) {
        throw new StepException("rollback deploy failed: " + lastLines(r.output()));
      }
    } else {
      ctx.out().println("Deploy the widened schema: " + deployer().commandLine());
    }
    install(plan.widened());
    ctx.records().record(plan, Step.NARROW, State.ROLLED_BACK, null, null, null);
    ctx.out().println("Migration " + plan.id() + " rolled back to its widened schema and mapping.");
    return plan;
  }

  private EvolutionPlan newPlan(CatalogRead catalog) throws SQLException {
    if (!Files.exists(ctx.mappingFile())) {
      throw new StepException(
          "no running mapping at "
              + ctx.mappingFile()
              + ": give --functions, the folder ./cdc schema generate wrote and you deployed");
    }
    Mapping running = Mapping.read(ctx.mappingFile());
    Mapping now;
    try (Connection c = ctx.pg().open()) {
      now = catalog.read(c, running);
    }
    long at = System.currentTimeMillis();
    try {
      return EvolutionPlan.of(ID.format(Instant.ofEpochMilli(at)), at, running, now);
    } catch (IllegalArgumentException e) {
      throw new StepException(e.getMessage());
    }
  }

  // Deploys the folder when told to; else prints the command and records the step as pending.
  private boolean deploy(EvolutionPlan plan, Step step) throws IOException, InterruptedException {
    if (!ctx.deploy()) {
      ctx.records().record(plan, step, State.PENDING, null, null, null);
      ctx.out().println("Deploy it: " + deployer().commandLine());
      ctx.out()
          .println(
              "then run ./cdc schema evolve "
                  + step.id()
                  + " --deployed (with the same options) to write the mapping.");
      return false;
    }
    ctx.records().record(plan, step, State.RUNNING, null, null, null);
    ConvexDeploy.Result r = deployer().run(300);
    if (!r.ok()) {
      String why =
          "npx convex deploy refused the " + step.id() + " schema: " + lastLines(r.output());
      ctx.records().record(plan, step, State.FAILED, null, null, why);
      throw new StepException(
          why
              + (step == Step.NARROW
                  ? "; roll back with ./cdc schema evolve rollback --deploy, or backfill again"
                  : ""));
    }
    ctx.out().printf("Deployed with npx convex deploy (%.1f s)%n", r.millis() / 1000.0);
    return true;
  }

  private ConvexDeploy deployer() throws IOException {
    Path project = ctx.project() != null ? ctx.project() : ConvexDeploy.projectFor(ctx.functions());
    return new ConvexDeploy(project, ctx.convexUrl(), ctx.convexKey());
  }

  // Atomically, so the transformer's poll never reads half a file.
  private void install(Mapping m) {
    try {
      Path tmp = ctx.mappingFile().resolveSibling(FunctionsFolder.MAPPING_FILE + ".tmp");
      m.write(tmp);
      Files.move(
          tmp,
          ctx.mappingFile(),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private EvolutionPlan requirePlan() {
    EvolutionPlan plan = plan();
    if (plan == null) {
      throw new StepException(
          "no migration at " + ctx.planFile() + ": run ./cdc schema evolve widen first");
    }
    return plan;
  }

  private void requireState(EvolutionPlan plan, Step step, State wanted, String what) {
    State s = ctx.records().state(plan.id(), step);
    if (s != wanted) {
      throw new StepException(
          "migration "
              + plan.id()
              + ": "
              + what
              + " is "
              + text(s)
              + ", not "
              + wanted.text
              + "; run the steps in order (widen, backfill, narrow)");
    }
  }

  private static String text(State s) {
    return s == null ? "not recorded" : s.text;
  }

  private static List<TableMapping> changedTables(EvolutionPlan plan, Mapping m) {
    List<TableMapping> out = new ArrayList<>();
    for (String t : plan.tableNames()) {
      m.tables().stream().filter(x -> x.qualifiedName().equals(t)).forEach(out::add);
    }
    return out;
  }

  private VerifyReport verify(Mapping m, List<TableMapping> tables)
      throws SQLException, InterruptedException {
    return new MirrorCheck(
            ctx.pg(),
            m,
            ctx.convex(),
            new MirrorCheck.Options(1000, 1, Duration.ofSeconds(10), null, 20),
            MirrorCheck.Progress.NONE)
        .run(tables);
  }

  private static long differing(VerifyReport report) {
    long n = 0;
    for (TableResult t : report.tables().values()) {
      n += t.counts().values().stream().mapToLong(Long::longValue).sum();
    }
    return n;
  }

  private long rowCount(List<TableMapping> tables) throws SQLException {
    long n = 0;
    try (Connection c = ctx.pg().open();
        Statement st = c.createStatement()) {
      for (TableMapping t : tables) {
        try (ResultSet rs =
            st.executeQuery("SELECT count(*) FROM \"" + t.schema() + "\".\"" + t.table() + "\"")) {
          rs.next();
          n += rs.getLong(1);
        }
      }
    }
    return n;
  }

  private static String lastLines(String output) {
    String[] lines = output.strip().split("\n");
    return String.join(
        " | ", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 3), lines.length));
  }
}
