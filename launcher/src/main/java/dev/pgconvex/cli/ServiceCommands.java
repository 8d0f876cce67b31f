package dev.pgconvex.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * One pipeline stage as its own process, as deployed: {@code ./cdc source|transformer|sink --config
 * FILE [key=value ...]}. Each delegates to the stage's own {@code main}.
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
      dev.pgconvex.source.SourceMain.main(args.toArray(String[]::new));
      return 0;
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
      dev.pgconvex.transformer.TransformerMain.main(args.toArray(String[]::new));
      return 0;
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
      dev.pgconvex.sink.SinkMain.main(args.toArray(String[]::new));
      return 0;
    }
  }
}
