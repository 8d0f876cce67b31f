package dev.pgconvex.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Measures events/s from Postgres into Kafka (acknowledged) for a bulk snapshot and for streaming,
 * on the in-process stack. Not a test: run it by hand,
 *
 * <pre>
 * ./mvnw -o -q -pl cdc-source test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.pgconvex.source.SourceBench [-Dexec.args="200000 200000"]
 * </pre>
 *
 * Arguments: snapshot rows, streamed rows (default 200000 each; streamed in 1000-row transactions).
 */
public final class SourceBench {
  private SourceBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.io.tmpdir", Path.of("target", "tmp").toAbsolutePath().toString());
    int snapshotRows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int streamRows = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;

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
    try (CdcSource source =
        new CdcSource(dev.pgconvex.source.config.SourceConfig.parse(props, k -> null), registry)) {
      long t0 = System.nanoTime();
      source.start();
      waitFor(registry, "read", snapshotRows);
      double snapSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "snapshot: %d rows in %.2f s = %.0f events/s (including engine start)%n",
          snapshotRows, snapSeconds, snapshotRows / snapSeconds);

      long t1 = System.nanoTime();
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
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      writer.start();
      waitFor(registry, "create", streamRows);
      double streamSeconds = (System.nanoTime() - t1) / 1e9;
      writer.join();
      System.out.printf(
          "streaming: %d rows in %.2f s = %.0f events/s (writer and source concurrently)%n",
          streamRows, streamSeconds, streamRows / streamSeconds);
    }
    System.exit(0);
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
