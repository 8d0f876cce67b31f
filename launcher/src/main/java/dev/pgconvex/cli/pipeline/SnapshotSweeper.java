package dev.pgconvex.cli.pipeline;

import dev.pgconvex.cli.verify.MirrorSweep;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.operations.lag.ConsumerLag;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link MirrorSweep} after each snapshot (the initial one, or a resync's), once the
 * pipeline has applied it: the source has finished the snapshot, its row count stopped growing and
 * neither the transformer nor the sink has anything left to consume. Only then does the mirror hold
 * every row the snapshot read, so a document it still holds beyond them is one whose row is gone.
 * One daemon thread, polling every second; failures are logged and tried at the next snapshot.
 * Thread-safe.
 */
final class SnapshotSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotSweeper.class);
  private static final Duration POLL = Duration.ofSeconds(1);

  private final Pipeline pipeline;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Map<String, Integer> lastSweep = Map.of();
  private volatile int sweeps;

  SnapshotSweeper(Pipeline pipeline) {
    this.pipeline = pipeline;
    this.thread = new Thread(this::loop, "pgconvex-snapshot-sweeper");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Sweeps done so far. */
  int sweeps() {
    return sweeps;
  }

  /** The deletes of the last sweep, per table. */
  Map<String, Integer> lastSweep() {
    return lastSweep;
  }

  private void loop() {
    Topics topics = pipeline.topics();
    long swept = 0;
    long previous = -1;
    try (ConsumerLag lag = new ConsumerLag(pipeline.kafkaClientProps());
        Producer<String, String> producer = producer()) {
      while (!closed) {
        Thread.sleep(POLL.toMillis()); // a poll interval, not a wait for a condition
        long rows = pipeline.source().snapshotRowsRead();
        boolean settled = rows > swept && rows == previous && pipeline.source().snapshotFinished();
        previous = rows;
        if (!settled || !lag.drained(topics, pipeline.mapping())) {
          continue;
        }
        try (var c = pipeline.connect()) {
          Map<String, Integer> deleted =
              new MirrorSweep(
                      c,
                      pipeline.mapping(),
                      (path, args) -> pipeline.convex().query(path, args),
                      producer,
                      topics.ops())
                  .sweep();
          lastSweep = deleted;
          sweeps++;
          swept = rows;
          if (deleted.isEmpty()) {
            log.info("After the snapshot: every document of the mirror has its row in Postgres");
          } else {
            log.warn(
                "After the snapshot: removing documents whose rows no longer exist in Postgres"
                    + " (deleted while the pipeline was not streaming): {}",
                deleted);
          }
        } catch (Exception e) {
          if (closed) {
            return;
          }
          swept = rows; // not again for the same snapshot; the next one tries again
          log.warn(
              "Could not check the mirror for documents whose rows are gone: {}; run ./cdc run"
                  + " again or resync the tables to retry",
              e.toString());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (!closed) {
        log.warn("Snapshot sweeper stopped: {}", e.toString());
      }
    }
  }

  private Producer<String, String> producer() {
    Map<String, Object> p = pipeline.kafkaClientProps();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    thread.interrupt();
    thread.join(5_000);
  }
}
