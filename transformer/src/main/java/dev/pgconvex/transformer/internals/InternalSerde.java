package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.dataformat.smile.databind.SmileMapper;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of the transformer's internal records (repartition topics and the {@code rows} store):
 * writes Smile, Jackson's binary JSON, and reads Smile or JSON text, so topics and stores written
 * by a version that wrote JSON still read after an upgrade (docs/contracts.md, "Internal topics").
 * The data model is the JSON one, so every type keeps its Jackson mapping. Null maps to null both
 * ways. Thread-safe.
 *
 * <p>Why Smile: each foreign key costs three internal hops and the row's state is rewritten on two
 * of them; profiles of the whole pipeline put JSON text (parse, tree, write) first among the
 * transformer's costs. Smile keeps the same model with back-referenced field names and no text
 * parsing. Every Smile record starts with its header {@code :)\n}; JSON records start with
 * {@code '{'}, which tells them apart.
 */
public final class InternalSerde<T> implements Serde<T> {
  /** Smile, configured as {@link Json#MAPPER}; shared, do not reconfigure. */
  static final ObjectMapper SMILE =
      SmileMapper.builder()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .build();

  private final Class<T> type;
  private final ObjectWriter writer;
  private final ObjectReader smileReader;
  private final ObjectReader jsonReader;

  public InternalSerde(Class<T> type) {
    this.type = type;
    this.writer = SMILE.writerFor(type);
    this.smileReader = SMILE.readerFor(type);
    this.jsonReader = Json.MAPPER.readerFor(type);
  }

  /** Whether {@code data} is a Smile record (its header), as opposed to JSON text. */
  static boolean isSmile(byte[] data) {
    return data.length >= 3 && data[0] == ':' && data[1] == ')' && data[2] == '\n';
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return writer.writeValueAsBytes(data);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write internal " + type.getSimpleName(), e);
      }
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return (isSmile(data) ? smileReader : jsonReader).readValue(data);
      } catch (IOException e) {
        // Only our own code writes these topics and stores: a failure here is a bug or an
        // incompatible upgrade, never bad user data.
        throw new UncheckedIOException("Cannot read internal " + type.getSimpleName(), e);
      }
    };
  }
}
