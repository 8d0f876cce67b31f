package dev.pgconvex.cli;

import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.reset.PipelineReset;
import dev.pgconvex.cli.reset.ResetRefusedException;
import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc reset}: removes a pipeline's state (named by its work dir or Kafka, and {@code
 * cdc.topic.prefix}) so the next {@code run} starts over with a fresh snapshot; with {@code
 * --convex-data} also the mirror in Convex. {@code --dry-run} lists the steps without doing them.
 * Refuses while the pipeline runs. Exit codes: 0 done, 1 refused or failed, 2 usage error.
 */
@Command(
    name = "reset",
    mixinStandardHelpOptions = true,
    description =
        "Remove a pipeline's state (Kafka topics and groups, local Streams state, replication slot;"
            + " with --convex-data the mirror in Convex) so the next run starts over.")
final class ResetCommand implements Callable<Integer> {
  @Option(
      names = "--work-dir",
      defaultValue = ".cdc/run",
      description =
          "The work dir of the pipeline's runs (embedded broker, Streams state, emulator data)"
              + " (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(
      names = "--convex-data",
      description =
          "Also delete the mirrored documents, the key table, checkpoints and lineage in Convex"
              + " (the embedded emulator's data, or --convex-url's).")
  boolean convexData;

  @Option(names = "--dry-run", description = "Print what would be removed; change nothing.")
  boolean dryRun;

  @Mixin PipelineOptions options;

  @Override
  public Integer call() throws Exception {
    PipelineSettings s = options.toSettings(workDir, false, "postgres");
    Map<String, String> o = s.overrides();
    Topics topics =
        new Topics(o.getOrDefault(CommonConfig.TOPIC_PREFIX, defaultOf(CommonConfig.TOPIC_PREFIX)));
    String slot = o.getOrDefault(SourceConfig.SLOT_NAME, defaultOf(SourceConfig.SLOT_NAME));
    String signal = o.getOrDefault(SourceConfig.SIGNAL_TABLE, SourceConfig.DEFAULT_SIGNAL_TABLE);
    Path work = workDir.toAbsolutePath();
    EmbeddedPostgresServer embeddedPg = null;
    Admin admin = null;
    Connection pg = null;
    ConvexClient convex = null;
    try {
      if (s.kafka() != null) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.kafka());
        o.forEach(
            (k, v) -> {
              if (k.startsWith("kafka.")) {
                p.put(k.substring("kafka.".length()), v);
              }
            });
        admin = Admin.create(p);
      }
      if (s.pgUrl() != null) {
        Properties p = new Properties();
        p.setProperty("user", s.pgUser());
        if (s.pgPassword() != null) {
          p.setProperty("password", s.pgPassword().reveal());
        }
        pg = DriverManager.getConnection(s.pgUrl(), p);
      } else if (Files.exists(work.resolve("postgres"))) {
        embeddedPg =
            EmbeddedPostgresServer.builder(work.resolve("postgres")).keepData(true).build();
        embeddedPg.start();
        pg = embeddedPg.connect(s.database() == null ? "postgres" : s.database());
      }
      if (convexData && s.convexUrl() != null) {
        convex =
            new ConvexClient(
                s.convexUrl(),
                s.convexAdminKey(),
                Duration.ofSeconds(60),
                Duration.ofSeconds(10),
                1);
      }
      List<PipelineReset.Step> steps;
      try {
        steps =
            new PipelineReset(
                    new PipelineReset.Target(
                        topics, work, admin, pg, slot, signal, convex, s.convexUrl(), convexData))
                .plan();
      } catch (ResetRefusedException e) {
        throw new UserFacingException("reset refused, nothing removed: " + e.getMessage());
      }
      if (steps.isEmpty()) {
        System.out.println("Nothing to reset for pipeline '" + topics.prefix() + "'.");
        return 0;
      }
      for (PipelineReset.Step step : steps) {
        if (dryRun) {
          System.out.println("would " + step.description());
        } else {
          step.run();
          System.out.println("done: " + step.description());
        }
      }
      if (!dryRun) {
        System.out.println(
            "Pipeline '"
                + topics.prefix()
                + "' reset: the next run starts over with a snapshot"
                + (convexData ? " into an empty mirror." : " over the existing mirror."));
      }
      return 0;
    } finally {
      if (convex != null) {
        convex.close();
      }
      if (pg != null) {
        pg.close();
      }
      if (embeddedPg != null) {
        embeddedPg.close();
      }
      if (admin != null) {
        admin.close();
      }
    }
  }

  private static String defaultOf(String key) {
    return Stream.of(SourceConfig.definition(), CommonConfig.definition())
        .flatMap(d -> d.keys().stream())
        .filter(k -> k.name().equals(key))
        .findFirst()
        .map(k -> k.defaultValue())
        .orElseThrow();
  }
}
