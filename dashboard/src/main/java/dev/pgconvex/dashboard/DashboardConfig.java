package dev.pgconvex.dashboard;

import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Validator;

/**
 * Keys of the dashboard ({@code ./cdc run}, {@code ./cdc demo} serve it on their HTTP endpoint;
 * {@code ./cdc dashboard} on its own).
 */
public final class DashboardConfig {
  /** Address the HTTP endpoint that serves the dashboard binds to. */
  public static final String BIND_ADDRESS = "dashboard.bind.address";

  /** The token the page and its JSON require once set. */
  public static final String TOKEN = "dashboard.token";

  /** How often the dashboard reads the stages (and records a point of its history). */
  public static final String SAMPLE_INTERVAL_MS = "dashboard.sample.interval.ms";

  private DashboardConfig() {}

  public static ConfigDef definition() {
    return new ConfigDef()
        .define(
            BIND_ADDRESS,
            ConfigType.STRING,
            "127.0.0.1",
            Validator.nonEmpty(),
            Importance.MEDIUM,
            "Address the HTTP endpoint of ./cdc run, ./cdc demo and ./cdc dashboard binds to: the"
                + " dashboard (/dashboard/) and /status, /metrics, /health, /alerts. The default"
                + " keeps it on this machine; another address (0.0.0.0 for every interface)"
                + " exposes it, and then dashboard.token is required.")
        .define(
            TOKEN,
            ConfigType.PASSWORD,
            "",
            Importance.MEDIUM,
            "A token the dashboard's page and JSON require once set (?token=..., or the header"
                + " Authorization: Bearer ...); without it they answer 401. Keep it off the command"
                + " line. Empty: no token (allowed only on a loopback dashboard.bind.address).")
        .define(
            SAMPLE_INTERVAL_MS,
            ConfigType.LONG,
            "2000",
            Validator.between(200, 60_000),
            Importance.LOW,
            "How often the dashboard reads the stages' endpoints; each reading is a point of the"
                + " lag and throughput charts, which keep the last hour in memory.");
  }
}
