package dev.pgconvex.replay;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a replay moves a consumer group's offsets to, in the vocabulary of {@code
 * kafka-consumer-groups --reset-offsets} and the Streams application reset tool: {@code
 * --to-datetime}, {@code --by-duration}, {@code --to-offset}, {@code --to-earliest}. Immutable.
 */
public abstract sealed class ReplayTarget
    permits ReplayTarget.ToDatetime,
        ReplayTarget.ByDuration,
        ReplayTarget.ToOffsets,
        ReplayTarget.ToEarliest {

  private ReplayTarget() {}

  /** The earliest offset whose record's timestamp is at or after {@code time}. */
  public static final class ToDatetime extends ReplayTarget {
    private final Instant time;

    public ToDatetime(Instant time) {
      this.time = Objects.requireNonNull(time);
    }

    public Instant time() {
      return time;
    }

    @Override
    public String describe() {
      return "--to-datetime " + time;
    }
  }

  /** As {@link ToDatetime}, at now minus the duration. */
  public static final class ByDuration extends ReplayTarget {
    private final Duration duration;

    public ByDuration(Duration duration) {
      this.duration = Objects.requireNonNull(duration);
    }

    public Duration duration() {
      return duration;
    }

    /** The time this target stands for when evaluated at {@code now}. */
    public Instant at(Instant now) {
      return now.minus(duration);
    }

    @Override
    public String describe() {
      return "--by-duration " + duration;
    }
  }

  /** Explicit offsets per partition; partitions not named keep their offset. */
  public static final class ToOffsets extends ReplayTarget {
    private final Map<TopicPartition, Long> offsets;

    public ToOffsets(Map<TopicPartition, Long> offsets) {
      this.offsets = Map.copyOf(offsets);
    }

    public Map<TopicPartition, Long> offsets() {
      return offsets;
    }

    @Override
    public String describe() {
      return "--to-offset " + offsets;
    }
  }

  /** The earliest offset still in the topic. */
  public static final class ToEarliest extends ReplayTarget {
    public static final ToEarliest INSTANCE = new ToEarliest();

    private ToEarliest() {}

    @Override
    public String describe() {
      return "--to-earliest";
    }
  }

  /** The option as the user would type it. */
  public abstract String describe();

  /**
   * The one target given on the command line.
   *
   * @throws ReplayException when none or more than one is given, or one is malformed
   */
  public static ReplayTarget of(
      String toDatetime, String byDuration, List<String> toOffsets, boolean toEarliest) {
    int given =
        (toDatetime != null ? 1 : 0)
            + (byDuration != null ? 1 : 0)
            + (toOffsets != null && !toOffsets.isEmpty() ? 1 : 0)
            + (toEarliest ? 1 : 0);
    if (given != 1) {
      throw new ReplayException(
          (given == 0 ? "no target given" : "more than one target given")
              + ": pass exactly one of --to-datetime, --by-duration, --to-offset (repeatable),"
              + " --to-earliest");
    }
    if (toDatetime != null) {
      return new ToDatetime(parseDatetime(toDatetime));
    }
    if (byDuration != null) {
      return new ByDuration(parseDuration(byDuration));
    }
    if (toEarliest) {
      return ToEarliest.INSTANCE;
    }
    Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    for (String s : toOffsets) {
      Map.Entry<TopicPartition, Long> e = parseOffset(s);
      if (offsets.put(e.getKey(), e.getValue()) != null) {
        throw new ReplayException("--to-offset names " + e.getKey() + " twice");
      }
    }
    return new ToOffsets(offsets);
  }

  /**
   * An ISO-8601 date-time: with an offset or {@code Z} ({@code 2026-12-01T14:00:00Z}, {@code
   * 2026-12-01T15:00:00.000+01:00}), or without one, read as UTC ({@code 2026-12-01T14:00:00}).
   */
  public static Instant parseDatetime(String s) {
    String t = s.strip();
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new ReplayException(
            "--to-datetime '"
                + s
                + "' is not an ISO-8601 date-time: write e.g. 2026-12-01T14:00:00Z or"
                + " 2026-12-01T15:00:00+01:00 (without an offset it is read as UTC)");
      }
    }
  }

  /** An ISO-8601 duration {@code PnDTnHnM} ({@code PT1H}, {@code P1DT12H}, {@code PT30M}). */
  public static Duration parseDuration(String s) {
    Duration d;
    try {
      d = Duration.parse(s.strip());
    } catch (DateTimeParseException e) {
      throw new ReplayException(
          "--by-duration '"
              + s
              + "' is not an ISO-8601 duration: write PnDTnHnM, e.g. PT1H, PT30M or P1DT12H");
    }
    if (d.isNegative() || d.isZero()) {
      throw new ReplayException("--by-duration '" + s + "' must be a positive duration");
    }
    return d;
  }

  /** {@code TOPIC:PARTITION:OFFSET}; Kafka topic names cannot contain {@code :}. */
  public static Map.Entry<TopicPartition, Long> parseOffset(String s) {
    String t = s.strip();
    int last = t.lastIndexOf(':');
    int mid = last > 0 ? t.lastIndexOf(':', last - 1) : -1;
    if (mid <= 0 || last == t.length() - 1) {
      throw malformed(s);
    }
    String topic = t.substring(0, mid);
    if (topic.contains(":")) {
      throw malformed(s);
    }
    try {
      int partition = Integer.parseInt(t.substring(mid + 1, last));
      long offset = Long.parseLong(t.substring(last + 1));
      if (partition < 0 || offset < 0) {
        throw malformed(s);
      }
      return Map.entry(new TopicPartition(topic, partition), offset);
    } catch (NumberFormatException e) {
      throw malformed(s);
    }
  }

  private static ReplayException malformed(String s) {
    return new ReplayException(
        "--to-offset '"
            + s
            + "' is malformed: write TOPIC:PARTITION:OFFSET with a partition and offset of 0 or"
            + " more, e.g. pgconvex.ops:0:1200");
  }
}
