package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.schema.FunctionsFolder;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.stack.testing.TestNames;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A user's workflow with the official Convex tools only: the functions folder {@code schema
 * generate} writes is deployed with {@code npx convex deploy} to an emulator started empty (as a
 * fresh self-hosted backend), the pipeline mirrors Postgres into it, {@code npx convex data users}
 * shows the rows, and a {@code ConvexClient} subscribed over the websocket sees a row updated in
 * Postgres arrive as an update.
 */
@Timeout(300)
class EmulatorDeployIT {
  private static final String SUBSCRIBER =
      """
      import { ConvexClient } from "convex/browser";
      import { makeFunctionReference } from "convex/server";
      const client = new ConvexClient(process.env.CONVEX_SELF_HOSTED_URL, { logger: false });
      client.setAdminAuth(process.env.CONVEX_SELF_HOSTED_ADMIN_KEY);
      client.onUpdate(
        makeFunctionReference("cdc/verify:keyDocs"),
        { table: "users", keys: ["[1]"], docs: true },
        (v) => console.log(JSON.stringify(v.entries[0].doc ? v.entries[0].doc.email : null)),
      );
      """;

  @Test
  void theDeployedFolderTakesTheMirrorAndASubscribedClientSeesAnUpdate() throws Exception {
    Path work = Path.of("target", "it", TestNames.unique("emudeploy")).toAbsolutePath();
    try (ConvexEmulatorProcess convex = ConvexEmulatorProcess.builder().empty().build()) {
      convex.start();
      PipelineSettings settings =
          ItSupport.sharedSettings("emudeploy", DemoDatabase.TABLES, DemoDatabase.RELATIONS)
              .withConvex(convex.url(), convex.adminKey());
      try (Pipeline p = new Pipeline(settings)) {
        p.startInfrastructure();
        try (Connection db = p.connect()) {
          DemoDatabase demo = new DemoDatabase(db, 7);
          demo.createSchema();
          demo.load(40);

          // schema generate's folder, deployed as a user deploys it.
          Mapping mapping =
              dev.pgconvex.cli.pipeline.CatalogMapping.read(
                  db,
                  DemoDatabase.TABLES,
                  DemoDatabase.RELATIONS,
                  null,
                  "public",
                  List.of(),
                  Map.of());
          Path project = work.resolve("project");
          FunctionsFolder.write(mapping, project.resolve("convex"));
          Files.writeString(
              project.resolve("package.json"),
              "{\"name\":\"app\",\"private\":true,\"type\":\"module\","
                  + "\"dependencies\":{\"convex\":\"1.48.0\"}}");
          Files.createSymbolicLink(
              project.resolve("node_modules"),
              ConvexEmulatorProcess.locateHome()
                  .resolve("convex-emulator")
                  .resolve("node_modules"));
          Run deploy =
              npx(project, convex, "deploy", "--typecheck", "disable", "--codegen", "disable");
          assertThat(deploy.code).as(deploy.out).isZero();

          p.startServices();
          SyncResult synced =
              new SyncWaiter(p)
                  .await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
          assertThat(synced.synced()).as(synced.toJson().toString()).isTrue();

          String email;
          try (Statement st = db.createStatement();
              ResultSet rs = st.executeQuery("SELECT email FROM users WHERE id = 1")) {
            rs.next();
            email = rs.getString(1);
          }
          Run data = npx(project, convex, "data", "users", "--limit", "100");
          assertThat(data.code).as(data.out).isZero();
          assertThat(data.out).contains(email);

          Files.writeString(project.resolve("subscribe.mjs"), SUBSCRIBER);
          Process sub =
              env(new ProcessBuilder("node", "subscribe.mjs"), project, convex)
                  .redirectErrorStream(true)
                  .start();
          List<String> seen = new CopyOnWriteArrayList<>();
          Thread reader =
              new Thread(
                  () -> {
                    try (BufferedReader r =
                        new BufferedReader(
                            new InputStreamReader(sub.getInputStream(), StandardCharsets.UTF_8))) {
                      for (String line; (line = r.readLine()) != null; ) {
                        seen.add(line);
                      }
                    } catch (java.io.IOException e) {
                      // the process ended
                    }
                  });
          reader.setDaemon(true);
          reader.start();
          try {
            await()
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(seen).contains("\"" + email + "\""));
            try (Statement st = db.createStatement()) {
              st.executeUpdate("UPDATE users SET email = 'changed-in-postgres@x' WHERE id = 1");
            }
            await()
                .atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(seen).contains("\"changed-in-postgres@x\""));
          } finally {
            sub.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          }
        }
      }
    }
  }

  private record Run(int code, String out) {}

  // The official CLI against the emulator, as against a self-hosted backend.
  private static Run npx(Path project, ConvexEmulatorProcess convex, String... args)
      throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("npx", "--no-install", "convex"));
    cmd.addAll(List.of(args));
    Process proc = env(new ProcessBuilder(cmd), project, convex).redirectErrorStream(true).start();
    proc.getOutputStream().close();
    byte[] out = proc.getInputStream().readAllBytes();
    if (!proc.waitFor(120, TimeUnit.SECONDS)) {
      proc.destroyForcibly();
      throw new AssertionError("npx convex " + String.join(" ", args) + " did not finish");
    }
    return new Run(proc.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static ProcessBuilder env(ProcessBuilder b, Path project, ConvexEmulatorProcess convex) {
    b.directory(project.toFile());
    b.environment().put("CI", "1");
    b.environment().put("CONVEX_SELF_HOSTED_URL", convex.url());
    b.environment().put("CONVEX_SELF_HOSTED_ADMIN_KEY", convex.adminKey().reveal());
    b.environment().put("CONVEX_DEPLOYMENT", "");
    return b;
  }
}
