package dev.pgconvex.transformer;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.common.service.ServiceRunner;
import java.util.Map;

/**
 * Runs the transformer as its own process: {@code TransformerMain [--config FILE] [key=value...]},
 * through {@link ServiceRunner} (arguments, endpoint, SIGTERM). Also serves {@code /pending} (held
 * rows, {@link Transformer#pendingJson(int)}, read by {@code ./cdc pending}). Exit codes: 0
 * stopped, 1 failed (a stream thread died, or it cannot start), 2 bad configuration or mapping.
 */
public final class TransformerMain implements ServiceRunner.Stage<Transformer> {
  private TransformerMain() {}

  /** This stage for {@link ServiceRunner} (the launcher wraps it, e.g. with alerts). */
  public static ServiceRunner.Stage<Transformer> stage() {
    return new TransformerMain();
  }

  public static void main(String[] args) {
    ServiceRunner.main(new TransformerMain(), args);
  }

  @Override
  public String mainName() {
    return "TransformerMain";
  }

  @Override
  public Config parse(Map<String, String> props) {
    return TransformerConfig.definition().parse(props);
  }

  @Override
  public Transformer create(Config config, ServiceEndpoint endpoint) {
    Transformer transformer = new Transformer(config, endpoint.registry(), null);
    endpoint.route(
        Transformer.PENDING_PATH, () -> transformer.pendingJson(Transformer.PENDING_LIMIT));
    return transformer;
  }

  @Override
  public Throwable awaitTermination(Transformer transformer) throws InterruptedException {
    return transformer.awaitTermination();
  }
}
