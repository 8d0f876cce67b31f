package dev.pgconvex.transformer.internals;

import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * JSON serde for the transformer's internal records (repartition topics and state stores), on the
 * project's one {@link Json#MAPPER}. Null maps to null both ways. Thread-safe.
 */
public final class JsonSerde<T> implements Serde<T> {
  private final Class<T> type;

  public JsonSerde(Class<T> type) {
    this.type = type;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> data == null ? null : Json.writeBytes(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return Json.MAPPER.readValue(data, type);
      } catch (IOException e) {
        // Only our own code writes these topics and stores: a failure here is a bug or an
        // incompatible upgrade, never bad user data.
        throw new UncheckedIOException("Cannot read internal " + type.getSimpleName(), e);
      }
    };
  }
}
