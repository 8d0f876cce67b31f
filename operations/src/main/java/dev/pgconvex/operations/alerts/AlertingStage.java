package dev.pgconvex.operations.alerts;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.common.service.Service;
import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.operations.lag.ConsumerLag;
import dev.pgconvex.operations.lag.GroupLag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stage run alone ({@code ./cdc source|transformer|sink}) with the alert rules evaluated in its
 * process on what it knows: its own status and, for the transformer and the sink, its consumer
 * group's lag. So a deployed stage alerts without Prometheus too; the rules about the other stages
 * fire in their processes. The service images run exactly this (deployment/). Takes the {@code
 * alerts.*} keys besides the stage's own, and serves {@code GET /alerts}.
 *
 * @param <S> the stage's service
 */
public final class AlertingStage<S extends Service> implements ServiceRunner.Stage<S> {
  private final ServiceRunner.Stage<S> stage;
  private final String name;
  private AlertSettings settings;
  private AlertMonitor monitor;
  private ConsumerLag lagReader;

  /**
   * @param name {@code source}, {@code transformer} or {@code sink}
   */
  public AlertingStage(ServiceRunner.Stage<S> stage, String name) {
    this.stage = stage;
    this.name = name;
  }

  @Override
  public String mainName() {
    return stage.mainName();
  }

  // The alerts.* keys are the monitor's, the rest the stage's: every problem of both at once.
  @Override
  public Config parse(Map<String, String> props) {
    Map<String, String> mine = new HashMap<>();
    Map<String, String> theirs = new HashMap<>();
    props.forEach((k, v) -> (k.startsWith("alerts.") ? mine : theirs).put(k, v));
    List<String> problems = new ArrayList<>();
    Config config = null;
    try {
      config = stage.parse(theirs);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    try {
      settings = AlertSettings.from(AlertRules.definition().parse(mine));
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return config;
  }

  @Override
  public S create(Config config, ServiceEndpoint endpoint) throws Exception {
    S service = stage.create(config, endpoint);
    Topics topics = Topics.from(config);
    String group =
        switch (name) {
          case "transformer" -> topics.transformerAppId();
          case "sink" -> topics.sinkGroup();
          default -> null;
        };
    if (group != null) {
      lagReader = new ConsumerLag(KafkaClients.props(config));
    }
    monitor =
        new AlertMonitor(
            settings, topics.prefix(), () -> inputs(service, group), endpoint.registry());
    AlertMonitor m = monitor;
    endpoint.route(
        AlertMonitor.PATH, () -> Map.of("firing", m.firing(), "consumerLag", m.consumerLag()));
    monitor.start();
    return service;
  }

  private AlertInputs inputs(S service, String group) {
    Map<String, StageStatus> stages = new HashMap<>();
    service.status().ifPresent(st -> stages.put(st.stage(), st));
    List<GroupLag> lag = List.of();
    if (group != null) {
      try {
        lag = List.of(lagReader.read(name, group, List.of(), "transformer".equals(name)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // Kafka away: the stage's own status says so
      }
    }
    return new AlertInputs(stages, Set.of(name), lag, System.currentTimeMillis());
  }

  @Override
  public Throwable awaitTermination(S service) throws InterruptedException {
    try {
      return stage.awaitTermination(service);
    } finally {
      monitor.close();
      if (lagReader != null) {
        lagReader.close();
      }
    }
  }

  @Override
  public boolean mustFixFirst(Exception e) {
    return stage.mustFixFirst(e);
  }
}
