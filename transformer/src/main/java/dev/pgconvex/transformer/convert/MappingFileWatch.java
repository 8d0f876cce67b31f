package dev.pgconvex.transformer.convert;

import dev.pgconvex.common.mapping.Mapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads {@code transformer.mapping.file} on a schedule and offers each new content to the {@link
 * LiveMapping}: a mapping that changes columns only is taken at once; anything else, or a file that
 * does not parse, is warned about once per content and the mapping in force stays. Polling, not a
 * file-system watch: a Kubernetes ConfigMap is replaced through a symlink swap that watches miss.
 */
public final class MappingFileWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MappingFileWatch.class);

  private final Path file;
  private final LiveMapping live;
  private final UnaryOperator<Mapping> check;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "pgconvex-mapping-watch");
            t.setDaemon(true);
            return t;
          });
  private byte[] seen;

  /**
   * @param check returns the mapping or throws with every problem in it (the start-up checks)
   */
  public MappingFileWatch(Path file, LiveMapping live, UnaryOperator<Mapping> check) {
    this.file = file;
    this.live = live;
    this.check = check;
    try {
      this.seen = Files.readAllBytes(file);
    } catch (IOException e) {
      this.seen = null;
    }
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(
        this::poll, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads the file once; package-private for tests. */
  void poll() {
    byte[] now;
    try {
      now = Files.readAllBytes(file);
    } catch (IOException e) {
      return; // being replaced, or gone for a moment: the mapping in force stays
    }
    if (Arrays.equals(now, seen)) {
      return;
    }
    seen = now;
    Mapping next;
    try {
      next =
          check.apply(Mapping.fromJson(new String(now, java.nio.charset.StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      LOG.warn(
          "The mapping file {} changed but cannot be used ({}); the transformer keeps the mapping"
              + " it runs on. Fix the file.",
          file,
          e.getMessage());
      return;
    }
    long before = live.version();
    List<String> problems = live.offer(next);
    if (!problems.isEmpty()) {
      LOG.warn(
          "The mapping file {} changed beyond columns ({}); the transformer keeps the mapping it"
              + " runs on until it is restarted.",
          file,
          String.join("; ", problems));
    } else if (live.version() != before) {
      LOG.info(
          "Mapping reloaded from {}: the converters take it before their next change, and the"
              + " tables held for schema drift are tried again",
          file);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
