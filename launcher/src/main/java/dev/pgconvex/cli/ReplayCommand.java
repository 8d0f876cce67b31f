package dev.pgconvex.cli;

import dev.pgconvex.cli.replay.PipelineKafka;
import dev.pgconvex.replay.PreparedReplay;
import dev.pgconvex.replay.ReplayException;
import dev.pgconvex.replay.ReplayTarget;
import dev.pgconvex.replay.SinkReplay;
import dev.pgconvex.replay.TransformerReplay;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc replay --stage transformer|sink <target> [--tables LIST] [--dry-run | --execute]}:
 * re-runs part of the stream with Kafka's own semantics ({@code kafka-consumer-groups
 * --reset-offsets} for the sink, the Streams application reset tool for the transformer; see {@link
 * SinkReplay} and {@link TransformerReplay}). Prints per partition the current and target offsets
 * and the records to re-read; changes something only with {@code --execute}. Exit codes: 0 done (or
 * planned), 1 refused or failed (one line, nothing changed), 2 usage error.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description =
        "Re-run the sink or the transformer from an offset or a time (Kafka's --reset-offsets and"
            + " Streams reset semantics); the position guard keeps documents from moving back.")
final class ReplayCommand implements Callable<Integer> {
  @Option(
      names = "--stage",
      required = true,
      description = "transformer or sink: whose consumer group is moved.")
  String stage;

  @Option(
      names = "--to-datetime",
      paramLabel = "ISO",
      description =
          "From the first record at or after this time (2026-12-01T14:00:00Z; without an offset:"
              + " UTC).")
  String toDatetime;

  @Option(
      names = "--by-duration",
      paramLabel = "PnDTnHnM",
      description = "From this long ago (PT1H, P1DT12H).")
  String byDuration;

  @Option(
      names = "--to-offset",
      paramLabel = "TOPIC:PARTITION:OFFSET",
      description = "From this offset of one partition (repeatable; others stay where they are).")
  List<String> toOffset = new ArrayList<>();

  @Option(names = "--to-earliest", description = "From the earliest record still in the topics.")
  boolean toEarliest;

  @Option(
      names = "--tables",
      split = ",",
      description =
          "Only these tables: the transformer re-reads only their topics (its state is rebuilt"
              + " for all); for the sink their ops in the range are copied to the end of the ops"
              + " topic, the group's offsets stay.")
  List<String> tables = new ArrayList<>();

  @Option(
      names = "--new-mirror",
      description =
          "With --stage transformer --to-earliest: fill a new, empty Convex deployment (the old"
              + " one was lost): also empties <prefix>.ids, moves the sink's group to the end of"
              + " the ops topic and forgets the recorded mirror; refused when retention removed"
              + " records of a table topic.")
  boolean newMirror;

  @Option(
      names = "--force",
      description =
          "Remove the members a stopped stage left in its group (static members stay until their"
              + " session times out) instead of refusing, as the Streams reset tool's --force; make"
              + " sure the stage is stopped. Implied for a work dir's embedded broker started by"
              + " this command (the pipeline is then stopped).")
  boolean force;

  @Option(names = "--dry-run", description = "Print the plan, change nothing (the default).")
  boolean dryRun;

  @Option(names = "--execute", description = "Do it, and print the same plan.")
  boolean execute;

  @picocli.CommandLine.Mixin PipelineKafkaOptions where;

  @Option(
      names = "--state-dir",
      description =
          "The transformer's transformer.state.dir on this machine: its state is deleted there"
              + " (default: the work dir's, none with --kafka).")
  Path stateDir;

  @Override
  public Integer call() throws Exception {
    if (dryRun && execute) {
      throw new UserFacingException("give --dry-run or --execute, not both");
    }
    if (!stage.equals("sink") && !stage.equals("transformer")) {
      throw new UserFacingException(
          "unknown stage '" + stage + "': --stage takes transformer or sink");
    }
    if (newMirror && !stage.equals("transformer")) {
      throw new UserFacingException(
          "--new-mirror is for --stage transformer: the ops topic holds ids of the lost"
              + " deployment, so the transformer must write every row again");
    }
    ReplayTarget target;
    try {
      target = ReplayTarget.of(toDatetime, byDuration, toOffset, toEarliest);
    } catch (ReplayException e) {
      throw new UserFacingException(e.getMessage());
    }
    try (PipelineKafka k = where.open()) {
      PreparedReplay r;
      if (stage.equals("sink")) {
        r =
            new SinkReplay(k.state(), k.clientProps())
                .prepare(k.topics(), target, tables, Instant.now(), force || k.startedHere());
      } else {
        Path dir =
            stateDir != null
                ? stateDir
                : where.kafka == null ? where.workDir.resolve("streams") : null;
        r =
            new TransformerReplay(k.state(), k.clientProps())
                .prepare(
                    k.topics(),
                    target,
                    tables,
                    dir == null ? null : dir.toAbsolutePath(),
                    Instant.now(),
                    newMirror,
                    force || k.startedHere());
      }
      if (execute) {
        try {
          r.execute();
        } catch (ReplayException e) {
          throw new UserFacingException(
              e.getMessage().replace("; nothing was changed", "")
                  + "; the replay stopped part way: run the same command again to finish it (each"
                  + " step can be repeated)");
        }
      }
      r.plan().render().forEach(System.out::println);
      System.out.println(
          execute
              ? "done: start the " + stage + " again to re-read the range"
              : "dry run: nothing was changed; run again with --execute to do it (the "
                  + stage
                  + " must stay stopped until then)");
      return 0;
    } catch (ReplayException e) {
      throw new UserFacingException(e.getMessage());
    }
  }
}
