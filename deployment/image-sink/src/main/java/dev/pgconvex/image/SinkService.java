package dev.pgconvex.image;

import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.operations.alerts.AlertingStage;

/**
 * The entrypoint of the {@code pgconvex-sink} image: the same stage as {@code ./cdc sink} ({@code
 * dev.pgconvex.sink.SinkMain} with the alert rules on what it knows, {@link AlertingStage}), as a
 * process: {@code [key=value ...] [--config FILE.properties] [key=value ...]}; exit codes as {@link
 * ServiceRunner}.
 */
public final class SinkService {
  private SinkService() {}

  public static void main(String[] args) {
    ServiceRunner.main(new AlertingStage<>(dev.pgconvex.sink.SinkMain.stage(), "sink"), args);
  }
}
