package dev.pgconvex.cli.it;

import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One pipeline stage in its own JVM ({@code Main --config FILE}), for SIGKILL tests. Not
 * thread-safe.
 */
final class ChildStage implements AutoCloseable {
  private final Class<?> main;
  private final Path config;
  private Process process;

  ChildStage(Class<?> main, Map<String, String> properties) throws IOException {
    this.main = main;
    Properties props = new Properties();
    props.putAll(properties);
    config = Files.createTempFile(main.getSimpleName(), ".properties");
    try (Writer w = Files.newBufferedWriter(config)) {
      props.store(w, main.getSimpleName());
    }
  }

  void start() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = Files.createTempFile(main.getSimpleName(), ".log");
    process =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    System.getProperty("java.class.path"),
                    main.getName(),
                    "--config",
                    config.toString()))
            .redirectErrorStream(true)
            .redirectOutput(new File(log.toString()))
            .start();
  }

  /** Kills the process with SIGKILL at {@code rounds} random moments, restarting it each time. */
  void killRounds(int rounds, SplittableRandom random) throws Exception {
    for (int round = 0; round < rounds; round++) {
      BackgroundLoad.letRun(java.time.Duration.ofMillis(1500 + random.nextInt(2500)));
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      if (process.isAlive()) {
        throw new IllegalStateException(main.getSimpleName() + " survived SIGKILL");
      }
      start();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null) {
      process.destroy();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
