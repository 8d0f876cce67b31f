package dev.pgconvex.cli;

import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.signal.ResyncSignal;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./cdc resync --table T [--where SQL]}: asks the running CDC source to re-read a table (or
 * the rows matching a condition) while streaming goes on. Inserts one Debezium {@code
 * execute-snapshot} signal (type {@code incremental}) into the source's signal table, prints what
 * it asked for and exits; the source does the work (read events with {@code source.snapshot:
 * "incremental"}, chunked by key, resumed after a restart). The password comes from {@code
 * --pg-password-file} or the environment variable {@code PG_PASSWORD}, never from the command line.
 *
 * <p>Exit codes: 0 signal written, 1 database error (message says why), 2 usage error.
 */
@Command(
    name = "resync",
    mixinStandardHelpOptions = true,
    description =
        "Re-snapshot a captured table (or the rows matching --where) while streaming goes on,"
            + " through the running source's signal table.")
public final class ResyncCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin DatabaseOptions db;

  @Option(
      names = "--table",
      required = true,
      description = "Captured table to re-read: schema.table.")
  String table;

  @Option(
      names = "--where",
      description =
          "SQL condition limiting the rows re-read, on the table's columns: \"id > 1000\".")
  String where;

  @Option(
      names = "--signal-table",
      defaultValue = SourceConfig.DEFAULT_SIGNAL_TABLE,
      description = "The source's signal table (source.signal.table); default ${DEFAULT-VALUE}.")
  String signalTable;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TableId target;
    TableId signals;
    try {
      target = TableId.parse(table);
      signals = TableId.parse(signalTable);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    ResyncSignal signal = new ResyncSignal(target, where);
    try (Connection c = db.connect("pgconvex-resync")) {
      String id = signal.send(c, signals);
      out.printf(
          "Resync requested (signal %s in %s): table %s, %s.%n"
              + "The running source re-reads the rows in key-ordered chunks while streaming goes on;"
              + " follow it with pgconvex_source_events_total{op=\"read\"}.%n",
          id, signals, target, where == null ? "all rows" : "rows where " + where);
      out.flush();
      return 0;
    } catch (SQLException e) {
      err.printf(
          "Cannot write the resync signal to %s on %s as '%s' (SQLState %s): %s%n"
              + "Check that the source has started once against this database (it creates the"
              + " signal table) and that --signal-table matches source.signal.table.%n",
          signals, db.url, db.user, e.getSQLState(), e.getMessage());
      err.flush();
      return 1;
    }
  }
}
