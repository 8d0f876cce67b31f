package dev.pgconvex.replay.dlq;

import dev.pgconvex.replay.KafkaState;
import dev.pgconvex.replay.ReplayException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Re-injects dead letters where they came from once their cause is fixed: a transformer dead letter
 * back to its Debezium topic and partition, a sink dead letter back to the ops topic, with the
 * original key and value. The stages treat it as the change it was: the transformer and Convex
 * compare its position with the row's, so it never overwrites a newer change. One that fails again
 * becomes a new dead letter (its attempt counted through {@link ReplayLog}); nothing is re-injected
 * by itself, so nothing loops. Each re-injection is recorded after Kafka acknowledged it: a crash
 * in between re-injects one record twice at worst, which the position guard makes harmless. Not
 * thread-safe.
 */
public final class DlqReplay {
  /** Header on a re-injected record: the dead letter's {@code partition:offset}. */
  public static final String HEADER = "pgconvex.dlq.replay-of";

  /** What happens to one selected dead letter. */
  public record Decision(DeadLetterEntry entry, boolean reinject, String why) {}

  private final Map<String, Object> clientProps;
  private final ReplayLog log;

  public DlqReplay(Map<String, Object> clientProps, ReplayLog log) {
    this.clientProps = Map.copyOf(clientProps);
    this.log = log;
  }

  /**
   * @param again also those already replayed
   */
  public static List<Decision> decide(List<DeadLetterEntry> selected, boolean again) {
    return decide(selected, again, null);
  }

  /**
   * @param existing the topics that exist (a dead letter whose topic is gone is skipped rather than
   *     re-created by the producer), or null not to check
   */
  public static List<Decision> decide(
      List<DeadLetterEntry> selected, boolean again, java.util.Set<String> existing) {
    List<Decision> out = new ArrayList<>();
    for (DeadLetterEntry e : selected) {
      if (e.reinjectable() && existing != null && !existing.contains(e.letter().topic())) {
        out.add(
            new Decision(
                e,
                false,
                "its topic "
                    + e.letter().topic()
                    + " no longer exists (the table left the pipeline, or a reset)"));
      } else if (!e.reinjectable()) {
        out.add(
            new Decision(
                e,
                false,
                "an orphan report: the row is still held in the transformer and is written when"
                    + " its parent arrives (./cdc pending)"));
      } else if (e.replayed() && !again) {
        out.add(new Decision(e, false, "already replayed (--again to replay it once more)"));
      } else {
        out.add(
            new Decision(
                e,
                true,
                "to "
                    + e.letter().topic()
                    + ":"
                    + e.letter().partition()
                    + " (attempt "
                    + (e.attempt() + 1)
                    + ")"));
      }
    }
    return out;
  }

  /**
   * Re-injects the decisions that say so, recording each.
   *
   * @return how many were re-injected
   */
  public int execute(List<Decision> decisions) {
    List<Decision> todo = decisions.stream().filter(Decision::reinject).toList();
    if (todo.isEmpty()) {
      return 0;
    }
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    int done = 0;
    try (KafkaProducer<String, String> producer = ReplayLog.producer(p)) {
      for (Decision d : todo) {
        DeadLetterEntry e = d.entry();
        ProducerRecord<String, String> rec =
            new ProducerRecord<>(
                e.letter().topic(), e.letter().partition(), e.letter().key(), e.letter().value());
        rec.headers().add(HEADER, e.id().getBytes(StandardCharsets.UTF_8));
        RecordMetadata md;
        try {
          md = producer.send(rec).get(KafkaState.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          log.record(
              producer,
              new ReplayLog.Replayed(
                  e.dlqPartition(),
                  e.dlqOffset(),
                  md.topic(),
                  md.partition(),
                  md.offset(),
                  e.attempt() + 1,
                  System.currentTimeMillis()));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new ReplayException("interrupted after re-injecting " + done + " dead letter(s)");
        } catch (Exception ex) {
          Throwable c = ex.getCause() == null ? ex : ex.getCause();
          throw new ReplayException(
              "re-injecting dead letter "
                  + e.id()
                  + " into "
                  + e.letter().topic()
                  + ":"
                  + e.letter().partition()
                  + " failed after "
                  + done
                  + " were re-injected: "
                  + c.getMessage()
                  + "; run the same command again (what was re-injected is remembered)");
        }
        done++;
      }
    }
    return done;
  }
}
