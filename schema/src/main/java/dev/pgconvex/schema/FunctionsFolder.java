package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.Mapping;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a deployable Convex functions folder for a {@link Mapping}: the generated {@code
 * schema.ts} and {@code validators.ts} (the enums, shared with the app's functions), the pipeline's
 * ingest module ({@code cdc/}) and the codegen-equivalent {@code _generated/} files, plus the
 * resolved mapping as {@code pgconvex.mapping.json} beside it.
 */
public final class FunctionsFolder {
  /** Files of the pipeline's Convex module, as packaged from {@code convex/} at build time. */
  static final List<String> TEMPLATE_FILES =
      List.of(
          "cdc/ingest.ts",
          "cdc/cutover.ts",
          "cdc/tables.ts",
          "cdc/lineage.ts",
          "cdc/verify.ts",
          "cdc/markers.ts",
          "cdc/migrations.ts",
          "_generated/server.ts",
          "_generated/api.ts",
          "_generated/dataModel.ts");

  private FunctionsFolder() {}

  /**
   * Writes the folder, replacing the files it owns and leaving any other file alone.
   *
   * @return {@code dir}
   */
  public static Path write(Mapping mapping, Path dir) {
    writeSchema(mapping, dir);
    mapping.write(dir.resolve(MAPPING_FILE));
    return dir;
  }

  /** The resolved mapping's file name in the folder (the transformer's mapping file locally). */
  public static final String MAPPING_FILE = "pgconvex.mapping.json";

  /**
   * Writes the folder but not the mapping file: what is deployed to Convex. A schema evolution
   * writes the mapping only once this is deployed, since the transformer takes it at once.
   *
   * @return {@code dir}
   */
  public static Path writeSchema(Mapping mapping, Path dir) {
    try {
      Files.createDirectories(dir);
      for (String f : TEMPLATE_FILES) {
        try (InputStream in = FunctionsFolder.class.getResourceAsStream("/convex-template/" + f)) {
          if (in == null) {
            throw new IllegalStateException(
                "Missing packaged Convex module file " + f + "; rebuild pgconvex-schema");
          }
          Path target = dir.resolve(f);
          Files.createDirectories(target.getParent());
          Files.write(target, in.readAllBytes());
        }
      }
      Files.writeString(dir.resolve("schema.ts"), SchemaTsWriter.write(mapping, true));
      Files.writeString(dir.resolve("validators.ts"), SchemaTsWriter.validatorsTs(mapping));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the Convex functions folder " + dir, e);
    }
  }
}
