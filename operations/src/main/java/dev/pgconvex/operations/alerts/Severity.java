package dev.pgconvex.operations.alerts;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How urgent an alert is: the {@code severity} label in the gauge, the log and the webhook. */
public enum Severity {
  /** Someone should look today: the mirror is behind or something is piling up. */
  WARNING,
  /** Someone should look now: the mirror has stopped or is about to lose data. */
  CRITICAL;

  /** {@code warning} or {@code critical}. */
  @JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
