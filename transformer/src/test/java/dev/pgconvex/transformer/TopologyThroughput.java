package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.transformer.Fixture.Driver;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Throughput of the topology in a TopologyTestDriver (no broker: conversion, serdes, RocksDB stores
 * and the request/response round trips), for rows with 0, 1 and 3 foreign keys whose parents' ids
 * are known. Not a test; run {@code main} with the test classpath. Arguments: events per run
 * (default 50000), runs (default 3).
 */
public final class TopologyThroughput {
  private TopologyThroughput() {}

  public static void main(String[] args) {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    for (boolean inMemory : new boolean[] {true, false}) {
      for (int fks : new int[] {0, 1, 3}) {
        double best = 0;
        for (int r = 0; r < runs; r++) {
          best = Math.max(best, run(fks, events, inMemory));
        }
        System.out.printf(
            Locale.ROOT,
            "%s stores, %d FKs per row: %,.0f events/s (best of %d)%n",
            inMemory ? "in-memory" : "RocksDB",
            fks,
            best,
            runs);
      }
    }
  }

  static Mapping mapping(int fks) {
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
      rels.add(new RelationMapping("p" + i + "Id", List.of("p" + i + "_id"), "p" + i, i > 0));
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

  static double run(int fks, int events, boolean inMemory) {
    try (Driver d = new Driver(mapping(fks), inMemory)) {
      for (int i = 0; i < fks; i++) {
        for (int k = 0; k < 100; k++) {
          d.id("p" + i + "/[" + k + "]", "id" + i + "_" + k);
        }
      }
      List<String[]> records = new ArrayList<>(events);
      for (int n = 0; n < events; n++) {
        ObjectNode after = Json.NODES.objectNode();
        after.put("id", n % 10_000);
        after.put("name", "item " + n);
        after.put("price", "12.50");
        after.put("created_at", 1_704_103_200_123_456L + n);
        for (int i = 0; i < fks; i++) {
          after.put("p" + i + "_id", (n + i) % 100);
        }
        records.add(
            new String[] {
              "{\"id\":" + (n % 10_000) + "}", Fixture.envelope("u", null, after, 1000L + n, 1)
            });
      }
      long start = System.nanoTime();
      for (String[] r : records) {
        d.send("items", r[0], r[1]);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int out = d.ops.readValuesToList().size();
      if (out != events) {
        throw new IllegalStateException("expected " + events + " ops, got " + out);
      }
      return events / seconds;
    }
  }
}
