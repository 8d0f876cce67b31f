package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.transformer.Fixture.Driver;
import dev.pgconvex.transformer.internals.InternalSerde;
import dev.pgconvex.transformer.internals.RowState;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The transformer's benchmark figures in one run, side by side: events per second through the
 * topology in a TopologyTestDriver (no broker: conversion, serdes, stores and the request/response
 * round trips) for rows with 0, 1 and 3 foreign keys whose parents' ids are known, with in-memory
 * and RocksDB stores; then the state-store bytes each pending row costs (rows whose parents never
 * arrive). Each throughput figure is the median of several runs after one discarded warm-up run.
 * Not a test (no timing is asserted anywhere); run {@code main} with the test classpath. Arguments:
 * events per run (default 50000), runs (default 5), pending rows for the size figure (default
 * 10000).
 */
public final class TopologyThroughput {
  private static final int[] FKS = {0, 1, 3};

  private TopologyThroughput() {}

  public static void main(String[] args) {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int pending = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    System.out.printf(
        Locale.ROOT,
        "TopologyTestDriver, %,d events per run, median of %d runs: wall clock (per CPU-second of"
            + " the one processing thread), %d cores, load average %.1f%n",
        events,
        runs,
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.out.printf(Locale.ROOT, "%-10s %22s %22s %22s%n", "stores", "0 FKs", "1 FK", "3 FKs");
    for (boolean inMemory : new boolean[] {true, false}) {
      StringBuilder line =
          new StringBuilder(
              String.format(Locale.ROOT, "%-10s", inMemory ? "in-memory" : "RocksDB"));
      for (int fks : FKS) {
        run(fks, Math.min(events, 10_000), inMemory); // warm-up, discarded
        double[] rates = new double[runs];
        double[] cpuRates = new double[runs];
        for (int r = 0; r < runs; r++) {
          double[] x = run(fks, events, inMemory);
          rates[r] = x[0];
          cpuRates[r] = x[1];
        }
        Arrays.sort(rates);
        Arrays.sort(cpuRates);
        line.append(
            String.format(Locale.ROOT, " %7.0f (%6.0f cpu)", median(rates), median(cpuRates)));
      }
      System.out.println(line + "  events/s");
    }
    System.out.printf(
        Locale.ROOT, "%nState per pending row (%,d rows whose parents never arrive)%n", pending);
    for (int fks : new int[] {1, 3}) {
      long[] b = pendingBytes(fks, pending);
      System.out.printf(
          Locale.ROOT,
          "%d FK%s: rows store %.0f B + subscriptions %.0f B = %.0f B per pending row"
              + " (serialized key+value, before RocksDB compression and changelog overhead)%n",
          fks,
          fks == 1 ? " " : "s",
          (double) b[0] / pending,
          (double) b[1] / pending,
          (double) (b[0] + b[1]) / pending);
    }
  }

  static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /**
   * Serialized bytes of the {@code rows} and {@code subscriptions} stores after {@code n} rows with
   * {@code fks} foreign keys were held for parents that never arrive: {@code [rows,
   * subscriptions]}.
   */
  static long[] pendingBytes(int fks, int n) {
    try (Driver d = new Driver(mapping(fks, false), true)) {
      for (int k = 0; k < n; k++) {
        d.send(
            "items", "{\"id\":" + k + "}", Fixture.envelope("c", null, item(k, fks), 1000L + k, 1));
      }
      if (!d.ops.readValuesToList().isEmpty() || d.counts.pendingRows() != n) {
        throw new IllegalStateException(
            "expected " + n + " held rows, got " + d.counts.pendingRows());
      }
      InternalSerde<RowState> serde = new InternalSerde<>(RowState.class);
      long rows = 0;
      try (KeyValueIterator<String, RowState> it = d.rows().all()) {
        while (it.hasNext()) {
          KeyValue<String, RowState> kv = it.next();
          rows += utf8(kv.key) + serde.serializer().serialize("", kv.value).length;
        }
      }
      long subs = 0;
      KeyValueStore<String, String> s =
          d.driver.getKeyValueStore(TransformerTopology.SUBSCRIPTIONS_STORE);
      try (KeyValueIterator<String, String> it = s.all()) {
        while (it.hasNext()) {
          KeyValue<String, String> kv = it.next();
          subs += utf8(kv.key) + utf8(kv.value);
        }
      }
      return new long[] {rows, subs};
    }
  }

  private static long utf8(String s) {
    return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static ObjectNode item(int n, int fks) {
    ObjectNode after = Json.NODES.objectNode();
    after.put("id", n % 10_000);
    after.put("name", "item " + n);
    after.put("price", "12.50");
    after.put("created_at", 1_704_103_200_123_456L + n);
    for (int i = 0; i < fks; i++) {
      after.put("p" + i + "_id", (n + i) % 100);
    }
    return after;
  }

  static Mapping mapping(int fks) {
    return mapping(fks, true);
  }

  /**
   * Items with {@code fks} foreign keys to tables {@code p0..}; the first is required, the others
   * optional when {@code firstOnlyRequired}, all required otherwise.
   */
  static Mapping mapping(int fks, boolean firstOnlyRequired) {
    List<TableMapping> tables = new ArrayList<>();
    List<RelationMapping> rels = new ArrayList<>();
    for (int i = 0; i < fks; i++) {
      tables.add(
          new TableMapping(
              "public",
              "p" + i,
              "p" + i,
              List.of("id"),
              List.of(ColumnMapping.of("id", "id", "integer", FieldType.NUMBER, false)),
              List.of()));
      rels.add(
          new RelationMapping(
              "p" + i + "Id", List.of("p" + i + "_id"), "p" + i, firstOnlyRequired && i > 0));
    }
    tables.add(
        new TableMapping(
            "public",
            "items",
            "items",
            List.of("id"),
            List.of(
                ColumnMapping.of("id", "id", "integer", FieldType.NUMBER, false),
                ColumnMapping.of("name", "name", "text", FieldType.STRING, true),
                ColumnMapping.of("price", "price", "numeric(10,2)", FieldType.NUMBER, true),
                new ColumnMapping(
                    "created_at",
                    "createdAt",
                    "timestamp without time zone",
                    FieldType.TIMESTAMP_MS,
                    null,
                    true,
                    null)),
            rels));
    return new Mapping(tables);
  }

  /** {@code [events per wall-clock second, events per CPU-second of this thread]}. */
  static double[] run(int fks, int events, boolean inMemory) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (Driver d = new Driver(mapping(fks), inMemory)) {
      for (int i = 0; i < fks; i++) {
        for (int k = 0; k < 100; k++) {
          d.id("p" + i + "/[" + k + "]", "id" + i + "_" + k);
        }
      }
      List<String[]> records = new ArrayList<>(events);
      for (int n = 0; n < events; n++) {
        records.add(
            new String[] {
              "{\"id\":" + (n % 10_000) + "}",
              Fixture.envelope("u", null, item(n, fks), 1000L + n, 1)
            });
      }
      long start = System.nanoTime();
      long cpuStart = threads.getCurrentThreadCpuTime();
      for (String[] r : records) {
        d.send("items", r[0], r[1]);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      int out = d.ops.readValuesToList().size();
      if (out != events) {
        throw new IllegalStateException("expected " + events + " ops, got " + out);
      }
      return new double[] {events / seconds, events / cpuSeconds};
    }
  }
}
