package dev.pgconvex.verify;

import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Validator;

/** Keys of the continuous verification a running pipeline can do in the background. */
public final class VerifyConfig {
  public static final String CONTINUOUS_ENABLED = "verify.continuous.enabled";
  public static final String CONTINUOUS_ROWS_PER_SEC = "verify.continuous.rows.per.sec";
  public static final String CONTINUOUS_PAUSE_MS = "verify.continuous.pause.ms";
  public static final String CONTINUOUS_SETTLE_TIMEOUT_MS = "verify.continuous.settle.timeout.ms";

  private VerifyConfig() {}

  public static ConfigDef definition() {
    return new ConfigDef()
        .define(
            CONTINUOUS_ENABLED,
            ConfigType.BOOLEAN,
            "false",
            Importance.MEDIUM,
            "Verify the mirror against Postgres in the background, pass after pass, as ./cdc verify"
                + " does (pgconvex_verify_mismatched_rows{table},"
                + " pgconvex_verify_last_pass_completed_seconds). Runs where all three stages run in"
                + " one process (./cdc run).")
        .define(
            CONTINUOUS_ROWS_PER_SEC,
            ConfigType.INT,
            "2000",
            Validator.between(1, 10_000_000),
            Importance.MEDIUM,
            "Rate limit of the continuous verification, in rows compared per second, so it never"
                + " competes with the mirror for Postgres and Convex.")
        .define(
            CONTINUOUS_PAUSE_MS,
            ConfigType.LONG,
            "60000",
            Validator.between(0, 86_400_000),
            Importance.LOW,
            "Pause between two passes of the continuous verification.")
        .define(
            CONTINUOUS_SETTLE_TIMEOUT_MS,
            ConfigType.LONG,
            "30000",
            Validator.between(0, 3_600_000),
            Importance.LOW,
            "How long a differing key may take to settle before a pass counts it (as"
                + " --settle-timeout-s of ./cdc verify).");
  }
}
