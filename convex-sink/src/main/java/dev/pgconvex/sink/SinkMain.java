package dev.pgconvex.sink;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.sink.lineage.SinkPreflightException;
import java.time.Duration;
import java.util.Map;

/**
 * Runs the sink as a process: {@code SinkMain [--config FILE] [key=value ...]}, through {@link
 * ServiceRunner} (arguments, endpoint, SIGTERM). Exit codes: 0 stopped, 1 stopped on an error
 * (retriable), 2 bad configuration or a mirror that belongs to another source (fix first).
 */
public final class SinkMain implements ServiceRunner.Stage<ConvexSink> {
  private SinkMain() {}

  /** This stage for {@link ServiceRunner} (the launcher wraps it, e.g. with alerts). */
  public static ServiceRunner.Stage<ConvexSink> stage() {
    return new SinkMain();
  }

  public static void main(String[] args) {
    ServiceRunner.main(new SinkMain(), args);
  }

  @Override
  public String mainName() {
    return "SinkMain";
  }

  @Override
  public Config parse(Map<String, String> props) {
    return SinkConfig.parse(props);
  }

  @Override
  public ConvexSink create(Config config, ServiceEndpoint endpoint) {
    return new ConvexSink(config, endpoint.registry());
  }

  @Override
  public Throwable awaitTermination(ConvexSink sink) throws InterruptedException {
    // The sink thread ends on close (SIGTERM) or on a fatal error.
    while (!sink.awaitStop(Duration.ofSeconds(1))) {
      // keep waiting
    }
    return sink.failure();
  }

  @Override
  public boolean mustFixFirst(Exception e) {
    return e instanceof ConfigException || e instanceof SinkPreflightException;
  }
}
