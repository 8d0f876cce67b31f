package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.ChainEvaluator;
import dev.pgconvex.operations.ChainStatus;
import dev.pgconvex.operations.StatusProbe;
import dev.pgconvex.operations.Thresholds;
import dev.pgconvex.operations.Verdict;
import dev.pgconvex.operations.alerts.FiringAlert;
import dev.pgconvex.operations.lag.ConsumerLag;
import dev.pgconvex.operations.lag.GroupLag;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc status}: the whole chain of a running pipeline, one line per stage and the verdict
 * ({@code caught up}, {@code lagging}, {@code stalled}, {@code failing}) with its reason. The
 * stages come from {@code --endpoint} URLs (deployed services), or from the discovery file {@code
 * pipeline.json} that {@code ./cdc run} and {@code ./cdc demo} write in their work dir. Exit codes:
 * 0 caught up, 1 lagging, stalled or failing, 2 no pipeline found or bad input.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "The whole chain's status and verdict for a running pipeline.")
final class StatusCommand implements Callable<Integer> {
  @Option(
      names = "--endpoint",
      description =
          "A stage's HTTP endpoint, http://host:port (repeatable; one process may serve several"
              + " stages). Default: the pipeline that ./cdc run or ./cdc demo runs here.")
  List<String> endpoints = new ArrayList<>();

  @Option(
      names = "--work-dir",
      description =
          "Where to look for a local pipeline's pipeline.json (default: .cdc/run, then .cdc/demo).")
  Path workDir;

  @Option(names = "--json", description = "Print one JSON object (the interface for scripts).")
  boolean json;

  @Option(names = "--watch", description = "Print again every --interval-s until Ctrl-C.")
  boolean watch;

  @Option(
      names = "--interval-s",
      defaultValue = "2",
      description = "With --watch: seconds between readings (default: ${DEFAULT-VALUE}).")
  long intervalSeconds;

  @Option(
      names = "--kafka",
      description =
          "Kafka bootstrap servers: read the transformer's and the sink's consumer-group lag from"
              + " Kafka itself (deployed stages, whose endpoints do not report it).")
  String kafka;

  @Option(
      names = "--prefix",
      defaultValue = "pgconvex",
      description = "With --kafka: the pipeline's cdc.topic.prefix (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(
      names = "--set",
      description = "With --kafka: a kafka.* client key=value (security settings; repeatable).")
  java.util.Map<String, String> kafkaKeys = new java.util.LinkedHashMap<>();

  private List<String> urls = List.of();

  /**
   * With a Convex URL: the last cutover of the pipeline --prefix names ({@code cdc_cutovers});
   * without, the one ./cdc run or demo serves.
   */
  @picocli.CommandLine.Mixin ConvexOptions convex = new ConvexOptions();

  @Override
  public Integer call() throws Exception {
    try {
      urls = endpoints.isEmpty() ? discover() : endpoints;
    } catch (UserFacingException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    StatusProbe probe = new StatusProbe(urls, new ChainEvaluator(Thresholds.DEFAULTS));
    while (true) {
      ChainStatus c = probe.read();
      if (kafka != null && c.consumerLag().isEmpty()) {
        c = c.with(c.alerts(), kafkaLag()).withVerify(c.verify());
      }
      print(c);
      if (!watch) {
        return c.verdict() == Verdict.CAUGHT_UP ? 0 : 1;
      }
      Thread.sleep(intervalSeconds * 1000); // the watch interval, not a wait for a condition
    }
  }

  // The groups' lag on every topic they committed offsets on (plus the transformer's repartition
  // topics), read as kafka-consumer-groups --describe does.
  private List<GroupLag> kafkaLag() {
    Topics topics = new Topics(prefix);
    try (ConsumerLag lag =
        new ConsumerLag(KafkaClients.props(kafka, KafkaClients.passThrough(kafkaKeys)))) {
      return List.of(
          lag.read("transformer", topics.transformerAppId(), List.of(), true),
          lag.read("sink", topics.sinkGroup(), List.of(), false));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    } catch (java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException
        | org.apache.kafka.common.KafkaException e) {
      throw new UserFacingException(
          "cannot read consumer lag from Kafka at "
              + kafka
              + ": "
              + describe(e)
              + "; check --kafka and the kafka.* security keys");
    }
  }

  private static String describe(Exception e) {
    Throwable t = e.getCause() == null ? e : e.getCause();
    if (t instanceof java.util.concurrent.TimeoutException
        || t instanceof org.apache.kafka.common.errors.TimeoutException) {
      return "no answer within 10 s (is Kafka running there?)";
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private List<String> discover() throws IOException {
    return List.of(LocalPipeline.find(workDir).endpoint());
  }

  private void print(ChainStatus c) {
    JsonNode cutover = lastCutover();
    JsonNode migrations = migrations();
    if (json) {
      var o = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.valueToTree(c);
      o.set("lastCutover", cutover == null ? Json.NODES.nullNode() : cutover);
      o.set("migrations", migrations);
      System.out.println(Json.write(o));
      return;
    }
    for (StageStatus s : c.stages().values()) {
      System.out.printf(Locale.ROOT, "%-12s %-9s %s%n", s.stage(), s.state(), line(s));
    }
    c.unreachable().forEach(u -> System.out.println("unreachable  " + u));
    for (GroupLag g : c.consumerLag()) {
      System.out.printf(
          Locale.ROOT,
          "%-12s %-9s group %s: %,d records behind%s%n",
          "kafka",
          g.stage(),
          g.group(),
          g.records(),
          g.records() == 0 ? "" : g.ms() < 0 ? " (age unknown)" : ", oldest " + g.ms() + " ms");
    }
    if (c.verify() != null) {
      System.out.printf(
          Locale.ROOT, "%-12s %-9s %s%n", "verify", verifyState(c.verify()), line(c.verify()));
    }
    for (FiringAlert a : c.alerts()) {
      System.out.printf(
          Locale.ROOT, "%-12s %-9s %s: %s%n", "alert", a.severity().label(), a.alert(), a.reason());
    }
    if (cutover != null) {
      System.out.printf(
          Locale.ROOT,
          "%-12s %-9s %s, freeze %s%s%s%n",
          "cutover",
          cutover.path("state").asText(),
          cutover.path("cutoverId").asText(),
          cutover.path("freeze").asText("?"),
          cutover.path("pauseMs").isNumber()
              ? ", pause " + cutover.path("pauseMs").asLong() + " ms"
              : "",
          cutover.path("reason").isTextual()
              ? " (" + cutover.path("step").asText() + ": " + cutover.path("reason").asText() + ")"
              : "");
    }
    if (!migrations.isEmpty()) {
      System.out.printf(
          Locale.ROOT,
          "%-12s %-9s %s%n",
          "migration",
          migrations.get(0).path("migration").asText(),
          dev.pgconvex.cli.evolve.MigrationRecords.line(migrations));
    }
    System.out.println(
        "verdict: "
            + c.verdict().word()
            + (c.endToEndLagMs() == null ? "" : ", end-to-end lag " + c.endToEndLagMs() + " ms")
            + (c.reason() == null ? "" : " (" + c.reason() + ")"));
  }

  private static String verifyState(VerifyStatus v) {
    if (!v.running()) {
      return "STOPPED";
    }
    if (v.lastPassCompletedAtMs() == null) {
      return "FIRST";
    }
    return v.mismatchedRows() == 0 ? "EQUAL" : "DIFFERS";
  }

  // "last pass 2 min ago: 0 keys differ (14 passes, 0 failed)"
  private static String line(VerifyStatus v) {
    String last =
        v.lastPassCompletedAtMs() == null
            ? "no complete pass yet"
            : "last pass "
                + Math.max(0, (System.currentTimeMillis() - v.lastPassCompletedAtMs()) / 1000)
                + " s ago: "
                + v.mismatchedRows()
                + " key(s) differ"
                + (v.mismatchedRows() == 0 ? "" : " " + v.mismatchedByTable());
    return String.format(
        Locale.ROOT,
        "%s (%d passes, %d failed)%s",
        last,
        v.passes(),
        v.failedPasses(),
        v.lastError() == null ? "" : "; last failure: " + v.lastError().message());
  }

  // The last cutover in Convex, when a deployment is given; a failure to read it is one line, and
  // the chain's status is printed all the same.
  private JsonNode lastCutover() {
    if (convex.urlOrNull() == null) {
      return servedCutover();
    }
    try (dev.pgconvex.sink.http.ConvexClient client = convex.client()) {
      return dev.pgconvex.cutover.ConvexCutoverStore.lastCutover(client, prefix);
    } catch (UserFacingException | dev.pgconvex.sink.http.ConvexException e) {
      System.err.println("cutover: cannot read the last cutover from Convex: " + e.getMessage());
      return null;
    }
  }

  // Without a Convex URL: what ./cdc run or demo serves at /cutover (a stage deployed alone serves
  // nothing there: give --convex-url).
  private JsonNode servedCutover() {
    JsonNode c = served(dev.pgconvex.cli.pipeline.Pipeline.CUTOVER_PATH, "lastCutover");
    return c != null && c.isObject() ? c : null;
  }

  // The steps of the newest schema evolution (cdc_migrations), from Convex or as served.
  private JsonNode migrations() {
    if (convex.urlOrNull() == null) {
      JsonNode m = served(dev.pgconvex.cli.pipeline.Pipeline.MIGRATIONS_PATH, "migrations");
      return m != null && m.isArray() ? m : Json.NODES.arrayNode();
    }
    try (dev.pgconvex.sink.http.ConvexClient client = convex.client()) {
      return dev.pgconvex.cli.evolve.MigrationRecords.newest(client, prefix);
    } catch (UserFacingException | dev.pgconvex.sink.http.ConvexException e) {
      System.err.println("migrations: cannot read cdc_migrations from Convex: " + e.getMessage());
      return Json.NODES.arrayNode();
    }
  }

  // What ./cdc run or demo serves at `path`, field `field`; null when nothing answers.
  private JsonNode served(String path, String field) {
    for (String e : urls) {
      String url = (e.endsWith("/") ? e.substring(0, e.length() - 1) : e) + path;
      try {
        var r =
            java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(2))
                .build()
                .send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                        .timeout(java.time.Duration.ofSeconds(5))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          JsonNode c = Json.parse(r.body()).path(field);
          if (!c.isMissingNode() && !c.isNull()) {
            return c;
          }
        }
      } catch (IOException | IllegalArgumentException ex) {
        // the chain's status says whether the endpoint answers
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  private static String line(StageStatus s) {
    if (s instanceof SourceStatus src) {
      return String.format(
          Locale.ROOT,
          "acked commit LSN %s, slot lag %,d bytes (%s, %s), %s",
          Position.lsnText(src.ackedCommitLsn()),
          src.slotLagBytes(),
          src.slotWalStatus(),
          src.slotActive() == null
              ? "not read yet"
              : !src.slotActive()
                  ? "INACTIVE"
                  : src.slotLsnUnchangedMs() > 10_000
                      ? "LSN unchanged for " + src.slotLsnUnchangedMs() + " ms"
                      : "active",
          src.snapshotFinished() ? "streaming" : "snapshot running");
    }
    if (s instanceof TransformerStatus t) {
      return String.format(
          Locale.ROOT,
          "streams %s, %,d rows held for a parent%s, %,d dead letters%s",
          t.streamsState(),
          t.pendingRows(),
          t.oldestPendingAgeMs() == null ? "" : " (oldest " + t.oldestPendingAgeMs() + " ms)",
          t.deadLetters(),
          t.heldTables().stream()
              .map(
                  h ->
                      String.format(
                          Locale.ROOT,
                          "; HELD %s: %,d changes since %s: %s",
                          h.table(),
                          h.changes(),
                          h.sincePosition(),
                          h.reason().split("; ", 2)[0]))
              .collect(java.util.stream.Collectors.joining()));
    }
    SinkStatus k = (SinkStatus) s; // the interface is sealed: the last kind
    return String.format(
        Locale.ROOT,
        "%d partitions, checkpoint %s, %,d retries (%,d throttled), %,d dead letters%s",
        k.assignedPartitions(),
        k.checkpoint(),
        k.retries(),
        k.rateLimited(),
        k.deadLetters(),
        k.lastError() == null ? "" : ", last error: " + k.lastError().message());
  }
}
