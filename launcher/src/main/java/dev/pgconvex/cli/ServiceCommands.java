package dev.pgconvex.cli;

import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.operations.alerts.AlertingStage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * One pipeline stage as its own process, as deployed: {@code ./cdc source|transformer|sink --config
 * FILE [key=value ...]}. Each runs the stage's own {@link ServiceRunner.Stage} with the alert rules
 * on what that stage knows ({@link AlertingStage}; {@code alerts.*} keys).
 */
final class ServiceCommands {
  private ServiceCommands() {}

  @Command(
      name = "source",
      description =
          "Run the CDC source alone: Debezium (Postgres) to Kafka."
              + " Arguments: --config FILE.properties [key=value ...]")
  static final class Source implements Callable<Integer> {
    @Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
      return ServiceRunner.run(
          new AlertingStage<>(dev.pgconvex.source.SourceMain.stage(), "source"),
          args.toArray(String[]::new),
          System.err);
    }
  }

  @Command(
      name = "transformer",
      description =
          "Run the transformer alone: Kafka Streams, rows to Convex"
              + " operations. Arguments: --config FILE.properties [key=value ...]")
  static final class TransformerCmd implements Callable<Integer> {
    @Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
      return ServiceRunner.run(
          new AlertingStage<>(dev.pgconvex.transformer.TransformerMain.stage(), "transformer"),
          args.toArray(String[]::new),
          System.err);
    }
  }

  @Command(
      name = "sink",
      description =
          "Run the Convex sink alone: operations to Convex."
              + " Arguments: --config FILE.properties [key=value ...]")
  static final class Sink implements Callable<Integer> {
    @Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
      return ServiceRunner.run(
          new AlertingStage<>(dev.pgconvex.sink.SinkMain.stage(), "sink"),
          args.toArray(String[]::new),
          System.err);
    }
  }
}
