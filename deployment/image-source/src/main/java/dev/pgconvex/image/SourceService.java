package dev.pgconvex.image;

import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.operations.alerts.AlertingStage;

/**
 * The entrypoint of the {@code pgconvex-source} image: the same stage as {@code ./cdc source}
 * ({@code dev.pgconvex.source.SourceMain} with the alert rules on what it knows, {@link
 * AlertingStage}), as a process: {@code [key=value ...] [--config FILE.properties] [key=value
 * ...]}; exit codes as {@link ServiceRunner}.
 */
public final class SourceService {
  private SourceService() {}

  public static void main(String[] args) {
    ServiceRunner.main(new AlertingStage<>(dev.pgconvex.source.SourceMain.stage(), "source"), args);
  }
}
