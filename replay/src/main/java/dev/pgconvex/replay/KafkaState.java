package dev.pgconvex.replay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * What the replay reads from Kafka through the Admin API (topics, log start and end offsets, a
 * group's committed offsets and members) and the offset arithmetic on top of it. Every call waits
 * at most {@link #TIMEOUT}; a broker that does not answer becomes a {@link ReplayException}. Not
 * thread-safe.
 */
public final class KafkaState {
  /** How long one Admin call may take. */
  public static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final Admin admin;
  private final String where;

  /**
   * @param admin built from the pipeline's client properties (security included)
   * @param where how the user named the broker, for messages ({@code localhost:9092})
   */
  public KafkaState(Admin admin, String where) {
    this.admin = admin;
    this.where = where;
  }

  public Admin admin() {
    return admin;
  }

  /** Waits for {@code f}; a timeout or a broker error becomes one clear line. */
  <T> T get(KafkaFuture<T> f, String what) {
    try {
      return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted while " + what);
    } catch (TimeoutException e) {
      throw unreachable(what);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      if (c instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable(what);
      }
      throw new ReplayException(
          "Kafka at "
              + where
              + " refused "
              + what
              + ": "
              + (c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage()));
    }
  }

  private ReplayException unreachable(String what) {
    return new ReplayException(
        "Kafka at "
            + where
            + " did not answer within "
            + TIMEOUT.toSeconds()
            + " s while "
            + what
            + " (is the broker running? check --kafka and the kafka.* security keys); nothing"
            + " was changed");
  }

  /** Every topic name. */
  public Set<String> topics() {
    return new TreeSet<>(get(admin.listTopics().names(), "listing topics"));
  }

  /** The partitions of {@code topics}, in topic then partition order. */
  public List<TopicPartition> partitions(Collection<String> topics) {
    if (topics.isEmpty()) {
      return List.of();
    }
    Map<String, TopicDescription> d =
        get(admin.describeTopics(topics).allTopicNames(), "describing " + topics);
    List<TopicPartition> out = new ArrayList<>();
    for (String t : new TreeSet<>(topics)) {
      d.get(t).partitions().forEach(p -> out.add(new TopicPartition(t, p.partition())));
    }
    return out;
  }

  /** The active members of {@code group} (empty when the group has none or does not exist). */
  public List<MemberDescription> members(String group) {
    try {
      Map<String, ConsumerGroupDescription> d =
          admin
              .describeConsumerGroups(List.of(group))
              .all()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      ConsumerGroupDescription g = d.get(group);
      return g == null ? List.of() : List.copyOf(g.members());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return List.of();
      }
      return rethrow(e, "describing group " + group);
    } catch (TimeoutException e) {
      throw unreachable("describing group " + group);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted");
    }
  }

  private <T> T rethrow(ExecutionException e, String what) {
    Throwable c = e.getCause() == null ? e : e.getCause();
    if (c instanceof org.apache.kafka.common.errors.TimeoutException) {
      throw unreachable(what);
    }
    throw new ReplayException("Kafka at " + where + " refused " + what + ": " + c.getMessage());
  }

  /**
   * Refuses while {@code group} has members: offsets can only be moved for a group nobody consumes
   * in, as {@code kafka-consumer-groups --reset-offsets} and the reset tool require.
   *
   * @param stage the stage the group belongs to, for the message
   * @param instead what to run instead while the stage keeps running
   */
  public void requireInactive(String group, String stage, String instead) {
    requireInactive(group, stage, instead, false);
  }

  /**
   * As {@link #requireInactive(String, String, String)}; with {@code force} (the reset tool's
   * {@code --force}, for members of a stopped stage that did not leave the group) the members are
   * returned instead, for {@link #removeMembers} to remove before the offsets are moved.
   *
   * @return the members to remove (empty when the group has none)
   */
  public List<MemberDescription> requireInactive(
      String group, String stage, String instead, boolean force) {
    List<MemberDescription> members = members(group);
    if (members.isEmpty() || force) {
      return members;
    }
    String who = describe(members);
    throw new ReplayException(
        "the "
            + stage
            + " is running: group "
            + group
            + " has "
            + members.size()
            + " active member(s) ("
            + who
            + "); stop the "
            + stage
            + " and run this again (a member that stopped without leaving the group is dropped"
            + " after its session timeout, or at once with --force); "
            + instead
            + "; nothing was changed");
  }

  /** A description of members for a plan: {@code instance i clientId on host, ...}. */
  public static String describe(List<MemberDescription> members) {
    return members.stream()
        .map(
            m ->
                m.groupInstanceId().map(i -> "instance " + i + " ").orElse("")
                    + m.clientId()
                    + " on "
                    + m.host())
        .sorted()
        .collect(Collectors.joining(", "));
  }

  /** Removes every member of {@code group} (the reset tool's {@code --force}). */
  public void removeMembers(String group) {
    get(
        admin
            .removeMembersFromConsumerGroup(
                group, new org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions())
            .all(),
        "removing the members of group " + group);
  }

  /** The group's committed offsets (a group without any: empty). */
  public Map<TopicPartition, Long> committed(String group) {
    Map<TopicPartition, OffsetAndMetadata> m =
        get(
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(),
            "reading the offsets of group " + group);
    Map<TopicPartition, Long> out = new HashMap<>();
    m.forEach(
        (tp, o) -> {
          if (o != null) {
            out.put(tp, o.offset());
          }
        });
    return out;
  }

  /** Offsets of {@code tps} by {@code spec}. */
  public Map<TopicPartition, ListOffsetsResultInfo> offsets(
      Collection<TopicPartition> tps, OffsetSpec spec, String what) {
    if (tps.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    tps.forEach(tp -> req.put(tp, spec));
    return get(admin.listOffsets(req).all(), what);
  }

  /**
   * Resolves {@code target} on {@code tps} into moves.
   *
   * @param committed the group's committed offsets
   * @param now the time a {@code --by-duration} counts back from
   * @throws ReplayException when the target lies before what retention kept, beyond the end, or
   *     names a partition not among {@code tps}
   */
  public List<PartitionMove> resolve(
      List<TopicPartition> tps,
      ReplayTarget target,
      Map<TopicPartition, Long> committed,
      Instant now) {
    Map<TopicPartition, ListOffsetsResultInfo> start =
        offsets(tps, OffsetSpec.earliest(), "reading the earliest offsets");
    Map<TopicPartition, ListOffsetsResultInfo> end =
        offsets(tps, OffsetSpec.latest(), "reading the latest offsets");
    Map<TopicPartition, Long> logStart = new HashMap<>();
    Map<TopicPartition, Long> logEnd = new HashMap<>();
    tps.forEach(
        tp -> {
          logStart.put(tp, start.get(tp).offset());
          logEnd.put(tp, end.get(tp).offset());
        });
    Map<TopicPartition, ListOffsetsResultInfo> byTime = Map.of();
    Instant time = null;
    if (target instanceof ReplayTarget.ToDatetime d) {
      time = d.time();
    } else if (target instanceof ReplayTarget.ByDuration b) {
      time = b.at(now);
    }
    if (time != null) {
      byTime =
          offsets(
              tps,
              OffsetSpec.forTimestamp(time.toEpochMilli()),
              "looking up offsets by time " + time);
    }
    return Offsets.moves(tps, target, time, committed, logStart, logEnd, byTime);
  }
}
