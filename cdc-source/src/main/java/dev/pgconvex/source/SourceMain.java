package dev.pgconvex.source;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.preflight.SourcePreflightException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Runs the CDC source as a process: {@code SourceMain [--config source.properties] [key=value...]},
 * through {@link ServiceRunner} (arguments, endpoint, SIGTERM). Exit codes: 0 stopped, 1 failed
 * (retriable: restart it), 2 bad configuration or database not ready (preflight: fix first).
 */
public final class SourceMain implements ServiceRunner.Stage<CdcSource> {
  private SourceMain() {}

  /** This stage for {@link ServiceRunner} (the launcher wraps it, e.g. with alerts). */
  public static ServiceRunner.Stage<CdcSource> stage() {
    return new SourceMain();
  }

  public static void main(String[] args) {
    ServiceRunner.main(new SourceMain(), args);
  }

  /** Runs until the source stops; returns the exit code. */
  static int run(String[] args, PrintStream err) {
    return ServiceRunner.run(new SourceMain(), args, err);
  }

  @Override
  public String mainName() {
    return "SourceMain";
  }

  @Override
  public Config parse(Map<String, String> props) {
    return SourceConfig.parse(props);
  }

  @Override
  public CdcSource create(Config config, ServiceEndpoint endpoint) {
    return new CdcSource(config, endpoint.registry());
  }

  @Override
  public Throwable awaitTermination(CdcSource source) throws InterruptedException {
    try {
      source.terminated().get();
      return null;
    } catch (ExecutionException e) {
      return new IllegalStateException(source.health().detail(), e.getCause());
    }
  }

  @Override
  public boolean mustFixFirst(Exception e) {
    return e instanceof ConfigException || e instanceof SourcePreflightException;
  }
}
