package dev.pgconvex.cli;

import dev.pgconvex.cli.pipeline.CutoverReadiness;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.dashboard.Dashboard;
import dev.pgconvex.dashboard.DashboardConfig;
import dev.pgconvex.dashboard.DashboardServer;
import dev.pgconvex.dashboard.EndpointReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc dashboard --endpoint URL ...}: the page {@code ./cdc run} and {@code demo} serve,
 * for stages deployed as separate services, read from their endpoints as {@code ./cdc status} reads
 * them. Runs until Ctrl-C.
 */
@Command(
    name = "dashboard",
    mixinStandardHelpOptions = true,
    description =
        "Serve the live dashboard of a running pipeline from its stages' HTTP endpoints until"
            + " Ctrl-C.")
final class DashboardCommand implements Callable<Integer> {
  @Option(
      names = "--endpoint",
      description =
          "A stage's HTTP endpoint, http://host:port (repeatable). Default: the pipeline that"
              + " ./cdc run or ./cdc demo runs here.")
  List<String> endpoints = new ArrayList<>();

  @Option(
      names = "--work-dir",
      description =
          "Where to look for a local pipeline's pipeline.json (default: .cdc/run, then .cdc/demo).")
  java.nio.file.Path workDir;

  @Option(
      names = "--port",
      defaultValue = "8090",
      description = "Port of the page; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--partitions",
      defaultValue = "4",
      description =
          "The pipeline's cdc.topic.partitions, for the cutover readiness (default:"
              + " ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--set",
      description =
          "A dashboard.* key=value (dashboard.bind.address; the token rather from DASHBOARD_TOKEN"
              + " or dashboard.token.file).")
  Map<String, String> keys = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    List<String> urls =
        endpoints.isEmpty() ? List.of(LocalPipeline.find(workDir).endpoint()) : endpoints;
    Config config = DashboardConfig.definition().parse(keys);
    String bind = config.getString(DashboardConfig.BIND_ADDRESS);
    boolean token = !config.getSecret(DashboardConfig.TOKEN).isEmpty();
    String problem = DashboardServer.exposureProblem(bind, token);
    if (problem != null) {
      throw new ConfigException(List.of(problem));
    }
    Dashboard dashboard =
        new Dashboard(
            new EndpointReader(urls),
            config.getSecret(DashboardConfig.TOKEN),
            config.getLong(DashboardConfig.SAMPLE_INTERVAL_MS),
            chain -> CutoverReadiness.json(chain, partitions));
    try (StopSignal stop = StopSignal.install("dashboard-stop", 5_000);
        DashboardServer server = new DashboardServer(dashboard, bind, port)) {
      System.err.println(
          "Dashboard of "
              + String.join(", ", urls)
              + " at "
              + server.url()
              + (token ? "?token=<dashboard.token>" : "")
              + "   (Ctrl-C to stop)");
      while (!stop.await(1000)) {
        // serving until Ctrl-C
      }
      return 0;
    }
  }
}
