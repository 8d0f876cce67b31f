package dev.pgconvex.schema;

import static dev.pgconvex.schema.GoldenSeedIT.connect;
import static dev.pgconvex.schema.GoldenSeedIT.execute;
import static dev.pgconvex.schema.GoldenSeedIT.tmp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A generated functions folder type-checks against the {@code convex} package's types ({@code tsc
 * --noEmit}), offline: the folder gets a tsconfig like the one {@code npx convex dev} writes and a
 * {@code node_modules} link to the TypeScript and convex packages installed in the repository's
 * {@code convex/} (system property {@value #NODE_MODULES} to use others). Skipped when they are not
 * installed.
 */
@Timeout(300)
class TypeCheckIT {
  static final String NODE_MODULES = "pgconvex.test.node_modules";

  private static final String TSCONFIG =
      """
      {
        "compilerOptions": {
          "allowJs": true, "strict": true, "moduleResolution": "Bundler", "jsx": "react-jsx",
          "skipLibCheck": true, "allowSyntheticDefaultImports": true, "target": "ESNext",
          "lib": ["ES2021", "dom"], "forceConsistentCasingInFileNames": true, "module": "ESNext",
          "isolatedModules": true, "noEmit": true, "types": []
        },
        "include": ["./**/*"],
        "exclude": ["node_modules"]
      }
      """;

  /** An app function using the generated types: shared validators, typed ids, table fields. */
  private static final String APP_TS =
      """
      import { query } from "./_generated/server";
      import type { Doc, Id } from "./_generated/dataModel";
      import { mood } from "./validators";

      export const countByMood = query({
        args: { mood },
        handler: async (ctx, args) => {
          const users = await ctx.db.query("users").collect();
          return users.filter((u) => u.mood === args.mood).length;
        },
      });

      export function ownerOf(thread: Doc<"threads">): Id<"users"> {
        return thread.userId;
      }

      export function big(user: Doc<"users">): bigint | undefined {
        return user.big;
      }

      export function tagCount(user: Doc<"users">): number {
        return user.meta?.tags.length ?? 0;
      }
      """;

  private static String url;
  private static Path nodeModules;

  @BeforeAll
  static void setUp() throws Exception {
    nodeModules =
        Path.of(
                System.getProperty(
                    NODE_MODULES, Path.of("..", "convex", "node_modules").toString()))
            .toAbsolutePath()
            .normalize();
    assumeTrue(
        Files.isRegularFile(nodeModules.resolve("typescript/bin/tsc"))
            && Files.isDirectory(nodeModules.resolve("convex")),
        "typescript and convex are not installed in " + nodeModules + " (npm ci in convex/)");
    url = SharedStack.freshDatabase("tsc");
    execute(
        url,
        List.of(
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
            "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, mood mood NOT NULL,"
                + " moods mood[], tags text[], big bigint, raw bytea, meta jsonb, at timestamptz,"
                + " born date, amount numeric(30,2), legacy_no int NOT NULL)",
            "CREATE TABLE threads (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users,"
                + " title text)",
            "CREATE TABLE store (store_id int PRIMARY KEY, manager_id int NOT NULL)",
            "CREATE TABLE staff (staff_id int PRIMARY KEY, store_id int NOT NULL REFERENCES store)",
            "ALTER TABLE store ADD FOREIGN KEY (manager_id) REFERENCES staff"));
  }

  private static Path generate(String name, String yaml) throws Exception {
    Mapping mapping;
    try (Connection c = connect(url)) {
      mapping =
          new CatalogReader(c)
              .read(
                  List.of("users", "threads", "store", "staff"),
                  List.of(),
                  MappingFile.parse(yaml, name + ".yaml"));
    }
    Path dir = FunctionsFolder.write(mapping, Files.createTempDirectory(tmp(), name));
    Files.writeString(dir.resolve("tsconfig.json"), TSCONFIG);
    Files.writeString(dir.resolve("app.ts"), APP_TS);
    Files.createSymbolicLink(dir.resolve("node_modules"), nodeModules);
    return dir;
  }

  private static String tsc(Path dir) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "node", nodeModules.resolve("typescript/bin/tsc").toString(), "--noEmit", "-p", ".")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() + ":" + out;
  }

  @Test
  void generatedFolderTypeChecks() throws Exception {
    Path dir =
        generate(
            "tsc-ok",
            """
            tables:
              users:
                keepSourceId: true
                columns:
                  meta: { type: json, validator: "v.object({ tags: v.array(v.string()) })" }
            """);
    assertThat(Files.readString(dir.resolve("schema.ts")))
        .contains("import { mood } from \"./validators\";")
        .contains("managerId: v.optional(v.id(\"staff\"))")
        .contains("// optional: on the foreign-key cycle store -> staff -> store,")
        .contains("// optional: on the foreign-key cycle staff -> store -> staff,");
    assertThat(tsc(dir)).isEqualTo("0:");
  }

  @Test
  void aBrokenValidatorFailsTheCheck() throws Exception {
    Path dir =
        generate(
            "tsc-bad",
            """
            tables:
              users:
                columns:
                  meta: { type: json, validator: "v.object({ tags: v.arrayy(v.string()) })" }
            """);
    assertThat(tsc(dir)).startsWith("2:").contains("schema.ts").contains("arrayy");
  }
}
