package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.cli.replay.PipelineKafka;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.replay.ReplayException;
import dev.pgconvex.replay.ReplayTarget;
import dev.pgconvex.replay.dlq.DeadLetterEntry;
import dev.pgconvex.replay.dlq.DeadLetters;
import dev.pgconvex.replay.dlq.DlqReplay;
import dev.pgconvex.replay.dlq.ReasonGroups;
import dev.pgconvex.replay.dlq.ReplayLog;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc dlq list|replay}: the dead letters of a pipeline, grouped by reason, and their
 * re-injection once the cause is fixed ({@link DlqReplay}). The dead-letter topic is only read,
 * never consumed with a group or trimmed. Exit codes: 0 done, 1 failed (one line), 2 usage error.
 */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = "List dead letters grouped by reason, or re-inject them once the cause is fixed.",
    subcommands = {DlqCommand.ListCmd.class, DlqCommand.ReplayCmd.class})
final class DlqCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Where the pipeline's Kafka is, and the selection shared by both subcommands. */
  static final class Where {
    @picocli.CommandLine.Mixin PipelineKafkaOptions kafka;

    @Option(
        names = "--since",
        description =
            "Only dead letters written at or after this time: ISO-8601 (2026-12-01T14:00:00Z) or"
                + " a duration back from now (PT1H).")
    String since;

    @Option(
        names = "--table",
        description = "Only this table's (Postgres or Convex name; schema, case, '_' ignored).")
    String table;

    PipelineKafka open() {
      try {
        return kafka.open();
      } catch (ReplayException e) {
        throw new UserFacingException(e.getMessage());
      }
    }

    Instant sinceInstant(Instant now) {
      if (since == null) {
        return null;
      }
      String s = since.strip();
      try {
        return s.startsWith("P") || s.startsWith("p")
            ? now.minus(ReplayTarget.parseDuration(s))
            : ReplayTarget.parseDatetime(s);
      } catch (ReplayException e) {
        throw new UserFacingException(
            "--since '"
                + since
                + "': write an ISO-8601 time (2026-12-01T14:00:00Z) or a"
                + " duration (PT1H)");
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "Dead letters (time, stage, table, key, reason), grouped by reason with counts.")
  static final class ListCmd implements Callable<Integer> {
    @Mixin Where where;

    @Option(names = "--stage", description = "Only this stage's (transformer, sink).")
    String stage;

    @Option(names = "--json", description = "One JSON object instead of text.")
    boolean json;

    @Option(
        names = "--limit",
        defaultValue = "20",
        description = "Dead letters printed per group (default: ${DEFAULT-VALUE}; counts are all).")
    int limit;

    @Override
    public Integer call() {
      Instant now = Instant.now();
      DeadLetters.Filter filter =
          new DeadLetters.Filter(where.sinceInstant(now), stage, where.table, null);
      try (PipelineKafka k = where.open()) {
        List<DeadLetterEntry> all = DeadLetters.read(k.topics(), k.clientProps());
        List<DeadLetterEntry> selected = DeadLetters.select(all, filter);
        List<ReasonGroups.Group> groups = ReasonGroups.group(selected);
        if (json) {
          System.out.println(Json.write(toJson(k.topics().deadLetters(), selected, groups)));
        } else {
          print(k.topics().deadLetters(), all.size(), selected.size(), groups, limit);
        }
        return 0;
      } catch (ReplayException e) {
        throw new UserFacingException(e.getMessage());
      }
    }
  }

  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description =
          "Re-inject dead letters where they came from once the cause is fixed; a record that"
              + " fails again returns to the dead-letter topic with its attempt count.")
  static final class ReplayCmd implements Callable<Integer> {
    @Mixin Where where;

    @Option(
        names = "--reason-contains",
        description = "Only those whose reason contains this text (case ignored).")
    String reasonContains;

    @Option(names = "--dry-run", description = "List what would be re-injected; change nothing.")
    boolean dryRun;

    @Option(names = "--again", description = "Also re-inject those replayed before.")
    boolean again;

    @Override
    public Integer call() {
      Instant now = Instant.now();
      DeadLetters.Filter filter =
          new DeadLetters.Filter(where.sinceInstant(now), null, where.table, reasonContains);
      try (PipelineKafka k = where.open()) {
        List<DeadLetterEntry> selected =
            DeadLetters.select(DeadLetters.read(k.topics(), k.clientProps()), filter);
        List<DlqReplay.Decision> decisions = DlqReplay.decide(selected, again, k.state().topics());
        long todo = decisions.stream().filter(DlqReplay.Decision::reinject).count();
        for (DlqReplay.Decision d : decisions) {
          DeadLetterEntry e = d.entry();
          System.out.println(
              (d.reinject() ? (dryRun ? "would re-inject " : "re-inject ") : "skip ")
                  + e.id()
                  + " "
                  + e.letter().stage()
                  + " "
                  + e.table()
                  + " "
                  + e.letter().key()
                  + ": "
                  + d.why());
        }
        if (dryRun) {
          System.out.println(
              "dry run: "
                  + todo
                  + " of "
                  + selected.size()
                  + " selected dead letter(s) would be re-injected; nothing was changed");
          return 0;
        }
        ReplayLog log = new ReplayLog(k.topics().dlqReplays(), k.clientProps());
        if (todo > 0) {
          log.ensure(k.admin(), replicationFactor(where.kafka.overrides));
        }
        int done = new DlqReplay(k.clientProps(), log).execute(decisions);
        System.out.println(
            "re-injected "
                + done
                + " of "
                + selected.size()
                + " selected dead letter(s); one that fails again is a new dead letter (./cdc dlq"
                + " list shows its attempt)");
        return 0;
      } catch (ReplayException e) {
        throw new UserFacingException(e.getMessage());
      }
    }
  }

  private static short replicationFactor(Map<String, String> overrides) {
    String rf = overrides.get(dev.pgconvex.common.config.CommonConfig.TOPIC_REPLICATION_FACTOR);
    try {
      return rf == null ? 1 : Short.parseShort(rf);
    } catch (NumberFormatException e) {
      throw new UserFacingException("cdc.topic.replication.factor '" + rf + "' is not a number");
    }
  }

  static void print(
      String topic, int total, int selected, List<ReasonGroups.Group> groups, int limit) {
    System.out.println(
        selected
            + " dead letter(s)"
            + (selected == total ? "" : " selected of " + total)
            + " in "
            + topic
            + ", "
            + groups.size()
            + " reason(s)");
    for (ReasonGroups.Group g : groups) {
      System.out.println();
      System.out.println(String.format("%6d  %-11s %s", g.count(), g.stage(), g.reason()));
      int n = 0;
      for (DeadLetterEntry e : g.entries()) {
        if (n++ == limit) {
          System.out.println("        ... " + (g.count() - limit) + " more");
          break;
        }
        System.out.println(
            "        "
                + Instant.ofEpochMilli(e.letter().ts())
                + "  "
                + e.table()
                + "  "
                + e.letter().key()
                + "  attempt "
                + e.attempt()
                + (e.replayed() ? "  replayed" : "")
                + "  ["
                + e.id()
                + "]  "
                + e.letter().reason());
      }
    }
  }

  static ObjectNode toJson(
      String topic, List<DeadLetterEntry> selected, List<ReasonGroups.Group> groups) {
    ObjectNode root = Json.NODES.objectNode().put("topic", topic).put("total", selected.size());
    ArrayNode gs = root.putArray("groups");
    for (ReasonGroups.Group g : groups) {
      ObjectNode gj = gs.addObject().put("stage", g.stage()).put("reason", g.reason());
      gj.put("count", g.count());
      ArrayNode es = gj.putArray("deadLetters");
      for (DeadLetterEntry e : g.entries()) {
        es.addObject()
            .put("id", e.id())
            .put("time", Instant.ofEpochMilli(e.letter().ts()).toString())
            .put("stage", e.letter().stage())
            .put("table", e.table())
            .put("key", e.letter().key())
            .put("reason", e.letter().reason())
            .put("topic", e.letter().topic())
            .put("partition", e.letter().partition())
            .put("offset", e.letter().offset())
            .put("attempt", e.attempt())
            .put("replayed", e.replayed());
      }
    }
    return root;
  }
}
