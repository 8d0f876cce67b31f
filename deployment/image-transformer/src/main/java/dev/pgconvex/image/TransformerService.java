package dev.pgconvex.image;

import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.operations.alerts.AlertingStage;

/**
 * The entrypoint of the {@code pgconvex-transformer} image: the same stage as {@code ./cdc
 * transformer} ({@code dev.pgconvex.transformer.TransformerMain} with the alert rules on what it
 * knows, {@link AlertingStage}), as a process: {@code [key=value ...] [--config FILE.properties]
 * [key=value ...]}; exit codes as {@link ServiceRunner}.
 */
public final class TransformerService {
  private TransformerService() {}

  public static void main(String[] args) {
    ServiceRunner.main(
        new AlertingStage<>(dev.pgconvex.transformer.TransformerMain.stage(), "transformer"), args);
  }
}
