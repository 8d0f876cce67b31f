package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Throughput of the Transformer service on the in-process broker (2 partitions): N Debezium updates
 * are produced first, with their parents' ids already on the ids topic, then the service starts;
 * the figure is ops per second between the first and the last op read back. Not a test; run {@code
 * main} with the test classpath. Arguments: events (default 50000), runs per figure (default 3; the
 * median is printed), FKs per row (0, 1 or 3; default all three, side by side).
 */
public final class BrokerThroughput {
  private BrokerThroughput() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int[] fkCounts = args.length > 2 ? new int[] {Integer.parseInt(args[2])} : new int[] {0, 1, 3};
    String bootstrap = SharedStack.kafka().bootstrapServers();
    StringBuilder line = new StringBuilder("broker (1 stream thread, RocksDB):");
    for (int fks : fkCounts) {
      double[] rates = new double[runs];
      for (int r = 0; r < runs; r++) {
        rates[r] = run(bootstrap, fks, events);
      }
      java.util.Arrays.sort(rates);
      line.append(
          String.format(
              Locale.ROOT,
              "  %d FKs %,.0f (%,.0f-%,.0f)",
              fks,
              TopologyThroughput.median(rates),
              rates[0],
              rates[runs - 1]));
    }
    System.out.printf(
        Locale.ROOT,
        "%,d events per run, median of %d runs (range), load average %.1f%n%s events/s%n",
        events,
        runs,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        line);
    System.exit(0);
  }

  static double run(String bootstrap, int fks, int events) throws Exception {
    Topics topics = new Topics(TestNames.unique("bench"));
    Mapping mapping = TopologyThroughput.mapping(fks);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> sources =
          mapping.tables().stream()
              .map(
                  (TableMapping t) ->
                      new NewTopic(topics.source(t.schema(), t.table()), 2, (short) 1))
              .toList();
      admin.createTopics(sources).all().get();
      admin.createTopics(List.of(new NewTopic(topics.ids(), 2, (short) 1))).all().get();
    }
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < fks; i++) {
        for (int k = 0; k < 100; k++) {
          producer.send(
              new ProducerRecord<>(
                  topics.ids(), "p" + i + "/[" + k + "]", "{\"id\":\"id" + i + "_" + k + "\"}"));
        }
      }
      for (int n = 0; n < events; n++) {
        ObjectNode after = Json.NODES.objectNode();
        after.put("id", n);
        after.put("name", "item " + n);
        after.put("price", "12.50");
        after.put("created_at", 1_704_103_200_123_456L + n);
        for (int i = 0; i < fks; i++) {
          after.put("p" + i + "_id", (n + i) % 100);
        }
        producer.send(
            new ProducerRecord<>(
                topics.source("public", "items"),
                "{\"id\":" + n + "}",
                Fixture.envelope("u", null, after, 1000L + n, 1)));
      }
      producer.flush();
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(tmp);
    Config config =
        TransformerConfig.definition()
            .parse(
                Map.of(
                    "kafka.bootstrap.servers",
                    bootstrap,
                    "cdc.topic.prefix",
                    topics.prefix(),
                    "cdc.topic.partitions",
                    "2",
                    "transformer.state.dir",
                    Files.createTempDirectory(tmp, "bench").toString()));
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, TestNames.unique("bench"));
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (Transformer t = new Transformer(config, new SimpleMeterRegistry(), mapping);
        KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      t.start();
      consumer.subscribe(List.of(topics.ops()));
      long first = 0;
      long last = 0;
      int seen = 0;
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (seen < events && System.nanoTime() < deadline) {
        ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(200));
        if (!recs.isEmpty()) {
          if (seen == 0) {
            first = System.nanoTime();
          }
          seen += recs.count();
          last = System.nanoTime();
        }
      }
      if (seen < events) {
        throw new IllegalStateException("only " + seen + " of " + events + " ops in 5 minutes");
      }
      return events / ((last - first) / 1e9);
    }
  }
}
