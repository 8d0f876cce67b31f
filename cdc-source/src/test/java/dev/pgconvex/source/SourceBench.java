package dev.pgconvex.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Measures, side by side in one run, events/s from Postgres into Kafka (acknowledged) for a bulk
 * snapshot, for streaming while a writer inserts, and for draining a backlog written while the
 * source was stopped, against the raw decoding rate of a pgoutput slot over the same streamed rows
 * ({@code pg_logical_slot_peek_binary_changes}, proto 1, the source's publication), on the
 * in-process stack; prints each repetition and the medians with the ratios. Not a test: run it by
 * hand,
 *
 * <pre>
 * ./mvnw -o -q -pl cdc-source test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.pgconvex.source.SourceBench [-Dexec.args="200000 200000 3"]
 * </pre>
 *
 * Arguments: snapshot rows, streamed rows (in 1000-row transactions, written while the source
 * runs), repetitions (default 200000, 200000, 3). Everything shares the machine's cores: the
 * figures are noisy, compare ratios rather than absolute rates.
 */
public final class SourceBench {
  private SourceBench() {}

  record Result(
      double snapshot, double streaming, double writer, double backlog, double rawDecode) {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.io.tmpdir", Path.of("target", "tmp").toAbsolutePath().toString());
    int snapshotRows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int streamRows = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    int repetitions = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    List<Result> results = new ArrayList<>();
    for (int i = 1; i <= repetitions; i++) {
      Result r = once(snapshotRows, streamRows);
      System.out.printf(
          "run %d: snapshot %.0f ev/s, streaming %.0f ev/s (writer %.0f rows/s), backlog %.0f"
              + " ev/s, raw slot decoding %.0f rows/s%n",
          i, r.snapshot(), r.streaming(), r.writer(), r.backlog(), r.rawDecode());
      results.add(r);
    }
    double snap = median(results.stream().map(Result::snapshot).toList());
    double stream = median(results.stream().map(Result::streaming).toList());
    double backlog = median(results.stream().map(Result::backlog).toList());
    double raw = median(results.stream().map(Result::rawDecode).toList());
    System.out.printf(
        "medians of %d: snapshot %.0f events/s, streaming %.0f events/s, backlog %.0f events/s,"
            + " raw pgoutput decoding %.0f rows/s; snapshot/raw %.3f, streaming/raw %.3f,"
            + " backlog/raw %.3f%n",
        repetitions, snap, stream, backlog, raw, snap / raw, stream / raw, backlog / raw);
    System.exit(0);
  }

  private static Result once(int snapshotRows, int streamRows) throws Exception {
    ItSupport it = new ItSupport("bench");
    it.sql(
        "CREATE TABLE public.bench (id bigint PRIMARY KEY, name text, amount numeric(12,2),"
            + " created timestamptz)",
        "INSERT INTO public.bench SELECT g, 'name-' || g, g * 1.25, now() FROM generate_series(1, "
            + snapshotRows
            + ") g");
    var props = it.props("public.bench");
    props.put("source.heartbeat.interval.ms", "1000");
    props.put("source.offsets.commit.interval.ms", "1000");
    props.put("cdc.topic.partitions", "4");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String rawSlot = it.slot + "_raw";
    double snapshotRate;
    double streamRate;
    double writerRate;
    String rawUpTo;
    try (CdcSource source =
        new CdcSource(dev.pgconvex.source.config.SourceConfig.parse(props, k -> null), registry)) {
      long t0 = System.nanoTime();
      source.start();
      waitFor(registry, "read", snapshotRows);
      snapshotRate = snapshotRows / ((System.nanoTime() - t0) / 1e9);

      // A second slot, created now, decodes exactly the rows streamed below.
      it.sql("SELECT pg_create_logical_replication_slot('" + rawSlot + "', 'pgoutput')");
      long t1 = System.nanoTime();
      long[] writerNanos = new long[1];
      Thread writer =
          new Thread(
              () -> {
                try {
                  for (int from = 1; from <= streamRows; from += 1000) {
                    int to = Math.min(streamRows, from + 999);
                    it.sql(
                        "INSERT INTO public.bench SELECT "
                            + snapshotRows
                            + " + g, 'name-' || g, g * 1.25, now() FROM generate_series("
                            + from
                            + ", "
                            + to
                            + ") g");
                  }
                  writerNanos[0] = System.nanoTime() - t1;
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      writer.start();
      waitFor(registry, "create", streamRows);
      streamRate = streamRows / ((System.nanoTime() - t1) / 1e9);
      writer.join();
      writerRate = streamRows / (writerNanos[0] / 1e9);
      rawUpTo = it.query("SELECT pg_current_wal_lsn()::text");
    }
    // Backlog: the same number of rows written while the source is stopped, then drained by a new
    // instance (engine start included): the source's own streaming rate, without the writer.
    it.sql(
        "INSERT INTO public.bench SELECT "
            + (snapshotRows + streamRows)
            + " + g, 'name-' || g, g * 1.25, now() FROM generate_series(1, "
            + streamRows
            + ") g");
    double backlogRate;
    SimpleMeterRegistry registry2 = new SimpleMeterRegistry();
    try (CdcSource source =
        new CdcSource(dev.pgconvex.source.config.SourceConfig.parse(props, k -> null), registry2)) {
      long t3 = System.nanoTime();
      source.start();
      waitFor(registry2, "create", streamRows);
      backlogRate = streamRows / ((System.nanoTime() - t3) / 1e9);
    }
    // The source is stopped: the decoding has the machine to itself.
    long rows;
    long t2 = System.nanoTime();
    try (Connection c = it.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('"
                    + rawSlot
                    + "', '"
                    + rawUpTo
                    + "', NULL, 'proto_version', '1', 'publication_names', '"
                    + it.publication
                    + "') WHERE get_byte(data, 0) = 73")) { // 'I': an inserted row
      // upto_lsn: only the streamed phase is decoded, not the backlog written after it.
      rs.next();
      rows = rs.getLong(1);
    }
    double rawRate = rows / ((System.nanoTime() - t2) / 1e9);
    it.sql("SELECT pg_drop_replication_slot('" + rawSlot + "')");
    // The source's slot is kept: its walsender may not have exited yet (the process ends soon).
    if (rows < streamRows) { // plus the odd heartbeat-table insert
      throw new IllegalStateException("raw slot decoded " + rows + " inserts, not " + streamRows);
    }
    return new Result(snapshotRate, streamRate, writerRate, backlogRate, rawRate);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void waitFor(SimpleMeterRegistry registry, String op, int n) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofMinutes(10))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              Counter c =
                  registry
                      .find("pgconvex.source.events")
                      .tag("table", "public.bench")
                      .tag("op", op)
                      .counter();
              return c != null && c.count() >= n;
            });
  }
}
