package dev.pgconvex.transformer.convert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformer's re-read of its mapping file: what it takes, and what it keeps running on. */
class MappingFileWatchTest {
  private static Mapping users(String column, String table) {
    return new Mapping(
        List.of(
            new TableMapping(
                "public",
                table,
                table,
                List.of("id"),
                List.of(ColumnMapping.of(column, column, "text", FieldType.STRING, true)),
                List.of())));
  }

  @Test
  void aColumnChangeIsTakenATableChangeOrABrokenFileIsNot(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pgconvex.mapping.json");
    Mapping start = users("name", "users");
    start.write(file);
    LiveMapping live = new LiveMapping(start);
    MappingFileWatch watch = new MappingFileWatch(file, live, m -> m);

    watch.poll();
    assertThat(live.version()).isZero(); // unchanged content

    Mapping renamed = users("full_name", "users");
    renamed.write(file);
    watch.poll();
    assertThat(live.version()).isEqualTo(1);
    assertThat(live.mapping()).isEqualTo(renamed);

    Files.writeString(file, "{not json");
    watch.poll();
    users("x", "accounts").write(file);
    watch.poll();
    assertThat(live.mapping()).isEqualTo(renamed);
    assertThat(live.version()).isEqualTo(1);
    watch.close();
  }
}
