package dev.pgconvex.common.mapping;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The resolved mapping the pipeline runs on: every captured table with its target, fields and
 * relations. Made from the Postgres catalog plus the user's mapping file; written as JSON so every
 * service reads the same one. Immutable and thread-safe.
 */
public record Mapping(List<TableMapping> tables) {
  public Mapping {
    tables = List.copyOf(tables);
  }

  /** The table whose Postgres name is {@code schema.table}. */
  public Optional<TableMapping> bySource(String schema, String table) {
    return Optional.ofNullable(bySource().get(schema + "." + table));
  }

  /** The table whose Convex name is {@code target}. */
  public Optional<TableMapping> byTarget(String target) {
    return tables.stream().filter(t -> t.target().equals(target)).findFirst();
  }

  @JsonIgnore
  public Map<String, TableMapping> bySource() {
    return tables.stream()
        .collect(Collectors.toMap(TableMapping::qualifiedName, Function.identity()));
  }

  /**
   * The source's {@code source.key.columns} for the tables keyed by configured columns ({@link
   * TableMapping#configuredKey()}): {@code schema.table:col1+col2;...}, empty when none.
   */
  @JsonIgnore
  public String sourceKeyColumns() {
    return tables.stream()
        .filter(TableMapping::configuredKey)
        .map(t -> t.qualifiedName() + ":" + String.join("+", t.primaryKey()))
        .collect(Collectors.joining(";"));
  }

  public String toJson() {
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Mapping fromJson(String json) {
    try {
      return Json.MAPPER.readValue(json, new TypeReference<Mapping>() {});
    } catch (IOException e) {
      throw new IllegalArgumentException("Malformed mapping JSON: " + e.getMessage(), e);
    }
  }

  public static Mapping read(Path file) {
    try {
      return fromJson(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read mapping " + file, e);
    }
  }

  public void write(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, toJson());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write mapping " + file, e);
    }
  }
}
