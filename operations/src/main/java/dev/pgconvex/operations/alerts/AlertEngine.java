package dev.pgconvex.operations.alerts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the rules and keeps each alert's state, as Prometheus does: inactive, then pending
 * while the condition holds for less than its {@code for}, then firing until the condition stops
 * holding (resolved). One alert per rule; the reason says what and where. Returns the state
 * changes, so each episode yields exactly one {@code FIRING} and one {@code RESOLVED} (plus a
 * {@code REPEAT} per repeat interval while it lasts). Not thread-safe: one evaluator thread.
 */
public final class AlertEngine {
  private final List<AlertRule> rules;
  private final AlertSettings settings;
  private final CounterWindows counters = new CounterWindows();
  private final Map<String, State> states = new HashMap<>();

  private static final class State {
    long pendingSinceMs = -1;
    boolean firing;
    long lastSentMs;
    Reading last;
  }

  /**
   * @param rules the rules to evaluate; each must have settings in {@code settings}
   */
  public AlertEngine(List<AlertRule> rules, AlertSettings settings) {
    for (AlertRule r : rules) {
      if (settings.of(r) == null) {
        throw new IllegalArgumentException("no settings for alert rule " + r.name());
      }
    }
    this.rules = List.copyOf(rules);
    this.settings = settings;
  }

  /** Evaluates every rule once against {@code in}; returns what changed. */
  public List<AlertEvent> evaluate(AlertInputs in) {
    List<AlertEvent> events = new ArrayList<>();
    long now = in.nowMs();
    for (AlertRule r : rules) {
      AlertRule.RuleSettings s = settings.of(r);
      State st = states.computeIfAbsent(r.name(), k -> new State());
      Reading reading = r.condition().test(in, s, counters);
      if (reading == null) {
        if (st.firing) {
          events.add(event(r, s, st, AlertEvent.Status.RESOLVED, st.last, now));
        }
        st.pendingSinceMs = -1;
        st.firing = false;
        continue;
      }
      st.last = reading;
      if (st.pendingSinceMs < 0) {
        st.pendingSinceMs = now;
      }
      if (!st.firing && now - st.pendingSinceMs >= s.forMs()) {
        st.firing = true;
        st.lastSentMs = now;
        events.add(event(r, s, st, AlertEvent.Status.FIRING, reading, now));
      } else if (st.firing
          && settings.repeatIntervalMs() > 0
          && now - st.lastSentMs >= settings.repeatIntervalMs()) {
        st.lastSentMs = now;
        events.add(event(r, s, st, AlertEvent.Status.REPEAT, reading, now));
      }
    }
    return events;
  }

  /** The alerts firing after the last evaluation, in rule order. */
  public List<FiringAlert> firing() {
    List<FiringAlert> out = new ArrayList<>();
    for (AlertRule r : rules) {
      State st = states.get(r.name());
      if (st != null && st.firing) {
        out.add(
            new FiringAlert(
                r.name(),
                r.severity(),
                st.last.reason(),
                st.last.value(),
                st.pendingSinceMs,
                r.fix()));
      }
    }
    return out;
  }

  /** Whether {@code rule} fires now. */
  public boolean isFiring(String rule) {
    State st = states.get(rule);
    return st != null && st.firing;
  }

  private static AlertEvent event(
      AlertRule r,
      AlertRule.RuleSettings s,
      State st,
      AlertEvent.Status status,
      Reading reading,
      long now) {
    return new AlertEvent(
        r.name(),
        r.severity(),
        status,
        reading.reason(),
        reading.value(),
        s.threshold(),
        st.pendingSinceMs,
        now,
        r.fix());
  }
}
