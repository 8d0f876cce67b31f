package dev.pgconvex.operations.alerts;

import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Validator;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.operations.lag.GroupLag;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every alert of the pipeline, and its configuration keys. The in-process evaluator ({@link
 * AlertEngine}) and the Prometheus rules file ({@link PrometheusRules}) are both made from {@link
 * #ALL}; docs/alerts.md describes them.
 */
public final class AlertRules {
  private AlertRules() {}

  public static final String ENABLED = "alerts.enabled";
  public static final String EVALUATION_INTERVAL_MS = "alerts.evaluation.interval.ms";
  public static final String WEBHOOK_URL = "alerts.webhook.url";
  public static final String WEBHOOK_REPEAT_INTERVAL_MS = "alerts.webhook.repeat.interval.ms";
  public static final String WEBHOOK_TIMEOUT_MS = "alerts.webhook.timeout.ms";
  public static final String WEBHOOK_MAX_ATTEMPTS = "alerts.webhook.max.attempts";

  public static final AlertRule END_TO_END_LAG =
      new AlertRule(
          "EndToEndLagHigh",
          Severity.WARNING,
          "end.to.end.lag",
          "threshold.ms",
          10_000,
          60_000,
          -1,
          "End-to-end lag (now minus the commit time of the newest change or heartbeat applied in"
              + " Convex) is above the threshold.",
          "see ./cdc status for the stage that is behind; a stage may be slow, throttled or"
              + " restarting",
          (in, s, c) -> {
            var sink = in.sink();
            if (sink == null || sink.endToEndLagMs() == null) {
              return null;
            }
            long lag = sink.endToEndLagMs();
            return above(lag, s.threshold(), "end-to-end lag " + ms(lag), ms(s.threshold()));
          },
          s -> "pgconvex_sink_end_to_end_lag_ms > " + s.threshold());

  public static final AlertRule STALLED =
      new AlertRule(
          "PipelineStalled",
          Severity.CRITICAL,
          "stalled",
          "after.ms",
          60_000,
          0,
          -1,
          "Nothing, not even a heartbeat, has been applied in Convex for the threshold: a stage"
              + " between Postgres and Convex stands still.",
          "run ./cdc status: the first stage that is not running, or is failing, is the cause",
          (in, s, c) -> {
            var sink = in.sink();
            if (sink == null || sink.endToEndLagMs() == null) {
              return null;
            }
            long lag = sink.endToEndLagMs();
            return above(
                lag, s.threshold(), "nothing applied in Convex for " + ms(lag), ms(s.threshold()));
          },
          s -> "pgconvex_sink_end_to_end_lag_ms > " + s.threshold());

  public static final AlertRule STAGE_DOWN =
      new AlertRule(
          "StageDown",
          Severity.CRITICAL,
          "stage.down",
          null,
          0,
          30_000,
          -1,
          "A stage stopped on an error (a 401/403 from Convex, a lost slot, a bad mapping), was"
              + " stopped, or does not answer.",
          "read the stage's last error in ./cdc status; fix it and restart the stage",
          (in, s, c) -> {
            List<String> down = new ArrayList<>();
            for (String name : List.of("source", "transformer", "sink")) {
              StageStatus st = in.stages().get(name);
              if (st == null) {
                if (in.expected().contains(name)) {
                  down.add(name + " does not answer");
                }
              } else if (st.state() == StageState.FAILED || st.state() == StageState.STOPPED) {
                down.add(
                    name
                        + " "
                        + st.state().name().toLowerCase(Locale.ROOT)
                        + (st.lastError() == null ? "" : ": " + st.lastError().message()));
              }
            }
            return down.isEmpty() ? null : new Reading(down.size(), String.join("; ", down));
          },
          s -> "pgconvex_stage_up == 0");

  public static final AlertRule SLOT_LAG =
      new AlertRule(
          "SlotLagHigh",
          Severity.WARNING,
          "slot.lag",
          "threshold.bytes",
          1L << 30,
          300_000,
          -1,
          "The replication slot holds more WAL than the threshold: Postgres cannot recycle it,"
              + " and its disk fills while the source is behind.",
          "check that the source runs and keeps up (./cdc status); if the pipeline is retired,"
              + " drop the slot (./cdc reset)",
          (in, s, c) -> {
            var src = in.source();
            if (src == null || src.slotLagBytes() < 0) {
              return null;
            }
            return above(
                src.slotLagBytes(),
                s.threshold(),
                "the slot holds " + src.slotLagBytes() + " bytes of WAL",
                s.threshold() + " bytes");
          },
          s -> "pgconvex_source_slot_lag_bytes > " + s.threshold());

  public static final AlertRule SLOT_STUCK =
      new AlertRule(
          "SlotStuck",
          Severity.CRITICAL,
          "slot.stuck",
          "after.ms",
          300_000,
          60_000,
          -1,
          "The replication slot is not read (inactive), or its confirmed LSN has not moved for the"
              + " threshold while it holds WAL: the source cannot hand changes to Kafka. Not during"
              + " the initial snapshot, which reads the tables before the slot.",
          "check the source's last error and Kafka's health; the source resumes from the slot"
              + " once Kafka acknowledges again",
          (in, s, c) -> {
            var src = in.source();
            if (src == null || src.slotActive() == null) {
              return null;
            }
            if (!src.snapshotFinished()) {
              // During the initial snapshot Debezium reads the tables over JDBC and only then
              // streams from the slot: inactive and unmoved is how a healthy snapshot looks (a
              // million rows keep it so for minutes). A source that fails says so in StageDown,
              // and the WAL piling up meanwhile in SlotLagHigh.
              return null;
            }
            if (!src.slotActive()) {
              return new Reading(1, "the replication slot is inactive (no walsender reads it)");
            }
            return above(
                src.slotLsnUnchangedMs(),
                s.threshold(),
                "the slot's confirmed LSN has not moved for "
                    + ms(src.slotLsnUnchangedMs())
                    + " while it holds "
                    + src.slotLagBytes()
                    + " bytes",
                ms(s.threshold()));
          },
          s ->
              "(pgconvex_source_slot_active == 0 or pgconvex_source_slot_lsn_unchanged_ms > "
                  + s.threshold()
                  + ") unless on(instance) pgconvex_source_snapshot_finished == 0");

  public static final AlertRule CONSUMER_LAG =
      new AlertRule(
          "ConsumerLagHigh",
          Severity.WARNING,
          "consumer.lag",
          "threshold.ms",
          60_000,
          120_000,
          -1,
          "The oldest record the transformer or the sink has not consumed from Kafka is older than"
              + " the threshold.",
          "the stage named is slow or stopped: see its status; more instances (partitions) help"
              + " a slow one",
          (in, s, c) -> {
            GroupLag worst = null;
            for (GroupLag g : in.consumerLag()) {
              if (g.ms() > s.threshold() && (worst == null || g.ms() > worst.ms())) {
                worst = g;
              }
            }
            return worst == null
                ? null
                : new Reading(
                    worst.ms(),
                    worst.stage()
                        + " (group "
                        + worst.group()
                        + ") is "
                        + ms(worst.ms())
                        + " and "
                        + worst.records()
                        + " records behind Kafka (above "
                        + ms(s.threshold())
                        + ")");
          },
          s -> "pgconvex_consumer_lag_ms > " + s.threshold());

  public static final AlertRule ORPHANS =
      new AlertRule(
          "OrphansHeld",
          Severity.WARNING,
          "orphans.held",
          "threshold.ms",
          300_000,
          0,
          -1,
          "A row has waited longer than the threshold for its parent row: the parent is missing"
              + " in Postgres, filtered out, or not mapped.",
          "list the rows with ./cdc pending; mirror the parent table, or fix the data",
          (in, s, c) -> {
            var t = in.transformer();
            if (t == null || t.oldestPendingAgeMs() == null) {
              return null;
            }
            return above(
                t.oldestPendingAgeMs(),
                s.threshold(),
                t.pendingRows()
                    + " rows wait for a parent, the oldest for "
                    + ms(t.oldestPendingAgeMs()),
                ms(s.threshold()));
          },
          s -> "pgconvex_transformer_pending_oldest_age_ms > " + s.threshold());

  public static final AlertRule SCHEMA_DRIFT =
      new AlertRule(
          "SchemaDriftHeld",
          Severity.CRITICAL,
          "schema.drift",
          null,
          0,
          0,
          -1,
          "A table's changes no longer match the mapping (a mapped column renamed, dropped or"
              + " retyped in Postgres): they are held in order, not written, until the transformer"
              + " runs a mapping that matches; the table's mirror stands still meanwhile, and past"
              + " transformer.schema.drift.max.held.changes changes are dead-lettered.",
          "run ./cdc schema evolve widen --deploy (the old and the new field optional; the held"
              + " changes then go on in order), then ./cdc schema evolve backfill and narrow",
          (in, s, c) -> {
            var t = in.transformer();
            if (t == null || t.heldTables().isEmpty()) {
              return null;
            }
            long held = t.heldTables().stream().mapToLong(h -> h.changes()).sum();
            return new Reading(
                held,
                t.heldTables().stream()
                    .map(h -> h.reason().split("; ", 2)[0] + " (" + h.changes() + " held)")
                    .collect(java.util.stream.Collectors.joining("; ")));
          },
          s -> "sum by (table) (pgconvex_transformer_held_changes) > 0");

  public static final AlertRule SCHEMA_DRIFT_BOUND =
      new AlertRule(
          "SchemaDriftHeldNearBound",
          Severity.CRITICAL,
          "schema.drift.bound",
          "threshold.percent",
          80,
          0,
          -1,
          "A table held for schema drift holds at least the threshold (percent) of"
              + " transformer.schema.drift.max.held.changes: past the bound its changes are"
              + " dead-lettered instead of held.",
          "evolve the schema now (./cdc schema evolve widen --deploy), or raise"
              + " transformer.schema.drift.max.held.changes (the state store needs the disk)",
          (in, s, c) -> {
            var t = in.transformer();
            if (t == null) {
              return null;
            }
            var near =
                t.heldTables().stream()
                    .filter(
                        h ->
                            h.maxChanges() > 0
                                && h.changes() * 100 >= s.threshold() * h.maxChanges())
                    .toList();
            if (near.isEmpty()) {
              return null;
            }
            return new Reading(
                near.stream().mapToLong(h -> h.changes()).max().orElse(0),
                near.stream()
                    .map(
                        h ->
                            h.table()
                                + " holds "
                                + h.changes()
                                + " of at most "
                                + h.maxChanges()
                                + " changes (threshold "
                                + s.threshold()
                                + "%)")
                    .collect(java.util.stream.Collectors.joining("; ")));
          },
          s ->
              "sum by (table) (pgconvex_transformer_held_changes) * 100 >= "
                  + s.threshold()
                  + " * scalar(max(pgconvex_transformer_held_changes_bound))");

  public static final AlertRule DEAD_LETTERS =
      new AlertRule(
          "DeadLettersArriving",
          Severity.WARNING,
          "dead.letters",
          "threshold",
          0,
          0,
          600_000,
          "Records went to the dead-letter topic within the window (more than the threshold): rows"
              + " that are not in Convex.",
          "read the reasons on the dead-letter topic (<prefix>.dead-letters), fix the cause, then"
              + " resync the rows",
          (in, s, c) -> {
            var t = in.transformer();
            var k = in.sink();
            if (t == null && k == null) {
              return null;
            }
            double n =
                (t == null
                        ? 0
                        : c.increase(
                            "transformer.dead.letters", t.deadLetters(), in.nowMs(), s.windowMs()))
                    + (k == null
                        ? 0
                        : c.increase(
                            "sink.dead.letters", k.deadLetters(), in.nowMs(), s.windowMs()));
            return above(
                n,
                s.threshold(),
                (long) n + " records dead-lettered in the last " + ms(s.windowMs()),
                String.valueOf(s.threshold()));
          },
          s ->
              "(sum(increase(pgconvex_transformer_dead_letters_total["
                  + PrometheusRules.duration(s.windowMs())
                  + "])) or vector(0)) + (sum(increase(pgconvex_sink_dead_letters_total["
                  + PrometheusRules.duration(s.windowMs())
                  + "])) or vector(0)) > "
                  + s.threshold());

  public static final AlertRule SINK_FAILING =
      new AlertRule(
          "SinkFailing",
          Severity.CRITICAL,
          "sink.failing",
          "after.ms",
          60_000,
          0,
          -1,
          "Every call to Convex has failed (and been retried) for longer than the threshold:"
              + " Convex is unreachable or answers errors.",
          "check the sink's last error in ./cdc status and that the Convex deployment is up",
          (in, s, c) -> {
            var k = in.sink();
            if (k == null) {
              return null;
            }
            return k.failingForMs() > s.threshold()
                ? new Reading(
                    k.failingForMs(),
                    "Convex calls have failed for "
                        + ms(k.failingForMs())
                        + (k.lastError() == null ? "" : " (" + k.lastError().message() + ")"))
                : null;
          },
          s -> "pgconvex_sink_failing_ms > " + s.threshold());

  public static final AlertRule THROTTLED =
      new AlertRule(
          "ConvexThrottled",
          Severity.WARNING,
          "convex.throttled",
          "threshold",
          10,
          120_000,
          60_000,
          "Convex answered more than the threshold of 429s (too many requests) within the window,"
              + " for the duration: the deployment's limits slow the mirror.",
          "the sink backs off by itself; if it lasts, lower sink.max.inflight or raise the"
              + " deployment's limits",
          (in, s, c) -> {
            var k = in.sink();
            if (k == null) {
              return null;
            }
            double n = c.increase("sink.rate.limited", k.rateLimited(), in.nowMs(), s.windowMs());
            return above(
                n,
                s.threshold(),
                (long) n + " throttled calls (429) in the last " + ms(s.windowMs()),
                String.valueOf(s.threshold()));
          },
          s ->
              "increase(pgconvex_sink_retries_total{reason=\"rate_limited\"}["
                  + PrometheusRules.duration(s.windowMs())
                  + "]) > "
                  + s.threshold());

  /** Every rule, in the order of the docs. */
  public static final AlertRule MIRROR_DIVERGED =
      new AlertRule(
          "MirrorDiverged",
          Severity.CRITICAL,
          "mirror.diverged",
          "threshold.rows",
          0,
          0,
          -1,
          "The last complete background verification pass (verify.continuous.enabled) found keys"
              + " where Convex differs from Postgres: the mirror cannot be trusted for a cutover.",
          "run ./cdc verify for the keys and their classes, find the cause (a write to a mirrored"
              + " table from outside the pipeline, a conversion bug), then ./cdc verify --repair",
          (in, s, c) -> {
            var v = in.verify();
            if (v == null || v.lastPassCompletedAtMs() == null) {
              return null;
            }
            return above(
                v.mismatchedRows(),
                s.threshold(),
                v.mismatchedRows() + " key(s) differ: " + nonZero(v.mismatchedByTable()),
                s.threshold() + " keys");
          },
          s -> "sum(pgconvex_verify_mismatched_rows) > " + s.threshold());

  public static final AlertRule VERIFY_STALE =
      new AlertRule(
          "VerifyStale",
          Severity.WARNING,
          "verify.stale",
          "after.ms",
          3_600_000,
          0,
          -1,
          "The background verification has not completed a pass for the threshold (it fails, or"
              + " its rows/s limit is too low for the tables): divergence would go unseen.",
          "read the verification's last error in ./cdc status; raise"
              + " verify.continuous.rows.per.sec if passes are merely slow",
          (in, s, c) -> {
            var v = in.verify();
            if (v == null) {
              return null;
            }
            long since =
                v.lastPassCompletedAtMs() != null ? v.lastPassCompletedAtMs() : v.startedAtMs();
            long age = in.nowMs() - since;
            return above(
                age,
                s.threshold(),
                (v.lastPassCompletedAtMs() == null
                        ? "no pass completed since the start " + ms(age) + " ago"
                        : "the last complete pass ended " + ms(age) + " ago")
                    + (v.lastError() == null ? "" : "; last failure: " + v.lastError().message()),
                ms(s.threshold()));
          },
          s ->
              "pgconvex_verify_last_pass_completed_seconds > 0 and time() -"
                  + " pgconvex_verify_last_pass_completed_seconds > "
                  + s.threshold() / 1000);

  public static final List<AlertRule> ALL =
      List.of(
          STALLED,
          STAGE_DOWN,
          END_TO_END_LAG,
          CONSUMER_LAG,
          SLOT_LAG,
          SLOT_STUCK,
          ORPHANS,
          SCHEMA_DRIFT,
          SCHEMA_DRIFT_BOUND,
          DEAD_LETTERS,
          SINK_FAILING,
          THROTTLED,
          MIRROR_DIVERGED,
          VERIFY_STALE);

  /** Every {@code alerts.*} key: the global ones, then each rule's threshold, for and window. */
  public static ConfigDef definition() {
    ConfigDef d =
        new ConfigDef()
            .define(
                ENABLED,
                ConfigType.BOOLEAN,
                "true",
                Importance.MEDIUM,
                "Evaluate the alert rules in the pipeline (docs/alerts.md): log lines, the"
                    + " pgconvex_alerts gauge and the webhook.")
            .define(
                EVALUATION_INTERVAL_MS,
                ConfigType.LONG,
                "5000",
                Validator.between(100, 3_600_000),
                Importance.LOW,
                "How often the alert rules are evaluated (and the consumer lag read).")
            .define(
                WEBHOOK_URL,
                ConfigType.PASSWORD,
                "",
                webhookUrl(),
                Importance.MEDIUM,
                "Where firing and resolved alerts are posted (a Slack-compatible incoming webhook:"
                    + " JSON with text and fields). Empty: none. Treated as a secret (a Slack URL"
                    + " holds a token): never logged.")
            .define(
                WEBHOOK_REPEAT_INTERVAL_MS,
                ConfigType.LONG,
                "14400000",
                Validator.atLeast(0),
                Importance.LOW,
                "Post a still-firing alert again after this long (ms); 0 never. Nothing is posted"
                    + " twice in between.")
            .define(
                WEBHOOK_TIMEOUT_MS,
                ConfigType.LONG,
                "5000",
                Validator.between(100, 120_000),
                Importance.LOW,
                "Timeout of one webhook call (connect and answer).")
            .define(
                WEBHOOK_MAX_ATTEMPTS,
                ConfigType.INT,
                "5",
                Validator.between(1, 100),
                Importance.LOW,
                "Attempts per webhook message (capped exponential backoff with jitter,"
                    + " Retry-After honoured) before it is given up with a warning.");
    for (AlertRule r : ALL) {
      if (r.thresholdKey() != null) {
        d.define(
            r.thresholdKey(),
            ConfigType.LONG,
            Long.toString(r.defaultThreshold()),
            Validator.atLeast(0),
            Importance.LOW,
            r.name() + ": threshold. " + r.summary());
      }
      d.define(
          r.forKey(),
          ConfigType.LONG,
          Long.toString(r.defaultForMs()),
          Validator.atLeast(0),
          Importance.LOW,
          r.name() + ": how long the condition must hold before the alert fires (ms).");
      if (r.windowKey() != null) {
        d.define(
            r.windowKey(),
            ConfigType.LONG,
            Long.toString(r.defaultWindowMs()),
            Validator.atLeast(1_000),
            Importance.LOW,
            r.name() + ": the window (ms) over which the counter's increase is taken.");
      }
    }
    return d;
  }

  private static Validator webhookUrl() {
    return new Validator() {
      @Override
      public String check(Object value) {
        String url = ((dev.pgconvex.common.config.Secret) value).reveal().strip();
        if (url.isEmpty()) {
          return null;
        }
        try {
          java.net.URI u = new java.net.URI(url);
          String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
          if (!"http".equals(scheme) && !"https".equals(scheme) || u.getHost() == null) {
            return "is not an http(s) URL with a host";
          }
          return null;
        } catch (java.net.URISyntaxException e) {
          return "is not a URL";
        }
      }

      @Override
      public String describe() {
        return "an http(s) URL, or empty";
      }
    };
  }

  // The reading when value is above the threshold: what was seen, then the threshold.
  private static Reading above(double value, long threshold, String seen, String thresholdText) {
    return value > threshold ? new Reading(value, seen + " (above " + thresholdText + ")") : null;
  }

  // "users 2, messages 1": the tables with differences.
  private static String nonZero(java.util.Map<String, Long> byTable) {
    List<String> parts = new ArrayList<>();
    byTable.forEach(
        (t, n) -> {
          if (n > 0) {
            parts.add(t + " " + n);
          }
        });
    return String.join(", ", parts);
  }

  /** {@code 1,234 ms} or {@code 75 s}. */
  static String ms(long ms) {
    return ms < 10_000
        ? String.format(Locale.ROOT, "%,d ms", ms)
        : String.format(Locale.ROOT, "%,d s", ms / 1000);
  }
}
