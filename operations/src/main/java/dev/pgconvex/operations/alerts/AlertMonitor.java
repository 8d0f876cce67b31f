package dev.pgconvex.operations.alerts;

import dev.pgconvex.operations.lag.GroupLag;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the alert rules inside the pipeline, so alerts work without Prometheus: every {@code
 * alerts.evaluation.interval.ms} it reads the inputs, evaluates ({@link AlertEngine}) and delivers
 * each change as a log line, in the {@code pgconvex_alerts{alert,severity}} gauge (1 firing, 0 not)
 * and to the webhook when one is configured. It also publishes the consumer lag it read as {@code
 * pgconvex_consumer_lag_records} and {@code pgconvex_consumer_lag_ms} ({@code stage}, {@code
 * group}). Inputs that cannot be read (Kafka away) are logged and skipped; the pipeline is never
 * stopped by its alerts. Thread-safe.
 */
public final class AlertMonitor implements AutoCloseable {
  /** The route that serves the firing alerts and the consumer lag read: {@code GET /alerts}. */
  public static final String PATH = "/alerts";

  private static final Logger log = LoggerFactory.getLogger(AlertMonitor.class);

  private final AlertSettings settings;
  private final Supplier<AlertInputs> inputs;
  private final AlertEngine engine;
  private final WebhookNotifier webhook;
  private final MeterRegistry registry;
  private final Map<String, AtomicLong> firingGauges = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lagGauges = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "pgconvex-alerts");
            t.setDaemon(true);
            return t;
          });
  private volatile List<FiringAlert> firing = List.of();
  private volatile List<GroupLag> lastLag = List.of();
  private volatile String lastInputProblem;

  /**
   * @param pipeline the pipeline's name in messages (its topic prefix)
   * @param inputs what the rules read, called on the monitor's thread
   */
  public AlertMonitor(
      AlertSettings settings,
      String pipeline,
      Supplier<AlertInputs> inputs,
      MeterRegistry registry) {
    this.settings = settings;
    this.inputs = inputs;
    this.registry = registry;
    this.engine = new AlertEngine(AlertRules.ALL, settings);
    this.webhook =
        settings.hasWebhook()
            ? new WebhookNotifier(
                settings.webhookUrl().reveal(),
                pipeline,
                Duration.ofMillis(settings.webhookTimeoutMs()),
                settings.webhookMaxAttempts())
            : null;
    for (AlertRule r : AlertRules.ALL) {
      AtomicLong v = new AtomicLong();
      firingGauges.put(r.name(), v);
      Gauge.builder("pgconvex.alerts", v, AtomicLong::get)
          .tag("alert", r.name())
          .tag("severity", r.severity().label())
          .description("1 while the alert fires, 0 otherwise (docs/alerts.md)")
          .register(registry);
    }
  }

  /** Starts evaluating every interval; nothing when alerts are disabled. */
  public void start() {
    if (!settings.enabled()) {
      log.info("Alerts are off (alerts.enabled=false)");
      return;
    }
    scheduler.scheduleWithFixedDelay(
        this::evaluateSafely,
        settings.evaluationIntervalMs(),
        settings.evaluationIntervalMs(),
        TimeUnit.MILLISECONDS);
  }

  private void evaluateSafely() {
    try {
      evaluate();
      lastInputProblem = null; // a problem that comes back after a recovery is logged again
    } catch (RuntimeException e) {
      String m = String.valueOf(e.getMessage());
      if (!m.equals(lastInputProblem)) {
        log.warn("Alert rules not evaluated this time: {}", m);
        lastInputProblem = m;
      }
    }
  }

  /** One evaluation, on the calling thread (the scheduler calls it; tests may too). */
  public synchronized void evaluate() {
    AlertInputs in = inputs.get();
    lastLag = in.consumerLag();
    publishLag(in.consumerLag());
    for (AlertEvent e : engine.evaluate(in)) {
      deliver(e);
    }
    firing = engine.firing();
  }

  private void deliver(AlertEvent e) {
    firingGauges.get(e.alert()).set(e.status() == AlertEvent.Status.RESOLVED ? 0 : 1);
    switch (e.status()) {
      case FIRING, REPEAT -> {
        String line =
            "Alert "
                + (e.status() == AlertEvent.Status.FIRING ? "FIRING" : "STILL FIRING")
                + ": {} ({}): {}. Fix: {}";
        if (e.severity() == Severity.CRITICAL) {
          log.error(line, e.alert(), e.severity().label(), e.reason(), e.fix());
        } else {
          log.warn(line, e.alert(), e.severity().label(), e.reason(), e.fix());
        }
      }
      case RESOLVED ->
          log.info(
              "Alert RESOLVED: {} after {} s (last seen: {})",
              e.alert(),
              (e.atMs() - e.startsAtMs()) / 1000,
              e.reason());
    }
    if (webhook != null) {
      webhook.send(e);
    }
  }

  private void publishLag(List<GroupLag> lag) {
    for (GroupLag g : lag) {
      gauge("pgconvex.consumer.lag.records", g, "Records the stage's group has not consumed")
          .set(g.records());
      gauge(
              "pgconvex.consumer.lag.ms",
              g,
              "Age of the oldest record the stage's group has not consumed (0 when none)")
          .set(Math.max(0, g.ms()));
    }
  }

  private AtomicLong gauge(String name, GroupLag g, String help) {
    return lagGauges.computeIfAbsent(
        name + "|" + g.stage() + "|" + g.group(),
        k -> {
          AtomicLong v = new AtomicLong();
          Gauge.builder(name, v, AtomicLong::get)
              .tag("stage", g.stage())
              .tag("group", g.group())
              .description(help)
              .register(registry);
          return v;
        });
  }

  /** The alerts firing as of the last evaluation. */
  public List<FiringAlert> firing() {
    return firing;
  }

  /** The consumer lag read at the last evaluation. */
  public List<GroupLag> consumerLag() {
    return lastLag;
  }

  /** The webhook messages delivered and given up: {@code [delivered, failed]}. */
  public long[] webhookCounts() {
    return webhook == null ? new long[] {0, 0} : new long[] {webhook.delivered(), webhook.failed()};
  }

  /** Stops evaluating; sends what the webhook has queued. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (webhook != null) {
      webhook.close();
    }
  }
}
