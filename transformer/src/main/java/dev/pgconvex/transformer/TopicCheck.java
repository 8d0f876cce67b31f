package dev.pgconvex.transformer;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the topics in Kafka say, at the transformer's start, about tables the mapping and the source
 * disagree on. The transformer knows only the mapping and the source only {@code source.tables};
 * they meet in the Debezium topics, which the source creates at its start for every captured table:
 *
 * <ul>
 *   <li>{@link #UNMAPPED}: a topic {@code <prefix>.<schema>.<table>} exists for a table the mapping
 *       does not know. The transformer subscribes to mapped tables only, so none of its changes is
 *       ever read or mirrored.
 *   <li>{@link #UNCAPTURED}: a mapped table has no topic although the source has run (its offsets
 *       topic or another table's topic exists): {@code source.tables} most likely does not list it,
 *       so none of its changes will arrive. The transformer creates the topic empty either way.
 * </ul>
 *
 * Stateless.
 */
final class TopicCheck {
  static final String UNMAPPED = "unmapped";
  static final String UNCAPTURED = "uncaptured";

  /**
   * One disagreement.
   *
   * @param table {@code schema.table} in Postgres
   * @param kind {@link #UNMAPPED} or {@link #UNCAPTURED}
   * @param topic the table's Debezium topic
   * @param message what it means and the fix
   */
  record Mismatch(String table, String kind, String topic, String message) {}

  private TopicCheck() {}

  /**
   * The disagreements between {@code mapping} and the topics that exist.
   *
   * @param existing every topic name in the cluster
   */
  static List<Mismatch> find(Set<String> existing, Mapping mapping, Topics topics) {
    String prefix = topics.prefix() + ".";
    Set<String> mapped = new HashSet<>();
    for (TableMapping t : mapping.tables()) {
      mapped.add(topics.source(t.schema(), t.table()));
    }
    List<Mismatch> out = new ArrayList<>();
    boolean sourceRan = existing.contains(topics.offsets());
    for (String topic : new TreeSet<>(existing)) {
      if (!topic.startsWith(prefix)) {
        continue;
      }
      if (mapped.contains(topic)) {
        sourceRan = true;
        continue;
      }
      String rest = topic.substring(prefix.length());
      int dot = rest.indexOf('.');
      // <schema>.<table>: exactly one dot. The pipeline's own topics (ops, ids, dlq, offsets,
      // transaction, message, schema-history) have none.
      if (dot <= 0 || dot == rest.length() - 1 || rest.indexOf('.', dot + 1) >= 0) {
        continue;
      }
      out.add(
          new Mismatch(
              rest,
              UNMAPPED,
              topic,
              "Topic "
                  + topic
                  + " carries the changes of table "
                  + rest
                  + ", which the mapping does not know: the transformer never reads it, so none"
                  + " of them is mirrored. To mirror the table add it to the mapping (./cdc schema"
                  + " generate, deploy the Convex schema) and restart the transformer; otherwise"
                  + " remove it from source.tables."));
    }
    if (sourceRan) {
      for (TableMapping t : mapping.tables()) {
        String topic = topics.source(t.schema(), t.table());
        if (!existing.contains(topic)) {
          out.add(
              new Mismatch(
                  t.qualifiedName(),
                  UNCAPTURED,
                  topic,
                  "Mapped table "
                      + t.qualifiedName()
                      + " has no topic "
                      + topic
                      + " although the source has run; the source creates one for every table of"
                      + " source.tables at its start, so source.tables most likely does not list it"
                      + " and none of its changes will arrive. Add "
                      + t.qualifiedName()
                      + " to source.tables, restart the source and load its rows with ./cdc"
                      + " resync, or remove it from the mapping. The topic is created empty"
                      + " meanwhile."));
        }
      }
    }
    return out;
  }
}
