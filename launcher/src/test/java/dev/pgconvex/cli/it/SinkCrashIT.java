package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.SinkMain;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink runs as its own process against the emulator with fault injection on (503 and 429 at
 * 10%, added latency, dropped connections) and is killed with SIGKILL at random moments during a
 * load, several rounds; afterwards Convex equals Postgres by content.
 */
@Timeout(400)
class SinkCrashIT {
  private static final int ROUNDS = 3;

  @Test
  void sigkilledSinkUnderConvexFaultsConvergesToPostgres() throws Exception {
    try (Pipeline p =
        new Pipeline(
            ItSupport.sharedSettings("sinkcrash", DemoDatabase.TABLES, DemoDatabase.RELATIONS))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Connection writer = p.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 8);
        demo.createSchema();
        demo.load(300);
        p.startServices(EnumSet.of(Stage.SOURCE, Stage.TRANSFORMER));
        faults(
            p,
            Map.of(
                "fault503", 0.1,
                "fault429", 0.1,
                "faultLatencyMs", 20,
                "faultDrop", 0.05,
                "faultRoutes", List.of("/api/mutation")));
        DemoDatabase live = new DemoDatabase(writer, 9);
        live.adopt(demo);
        try (ChildStage sink = new ChildStage(SinkMain.class, p.properties(Stage.SINK))) {
          sink.start();
          try (BackgroundLoad load = new BackgroundLoad(live, 20)) {
            sink.killRounds(ROUNDS, new SplittableRandom(17));
            BackgroundLoad.letRun(Duration.ofSeconds(1));
          }
          // Faults stay on while the mirror catches up: the sink must get through them by itself.
          SyncResult r = new SyncWaiter(p).await(Duration.ofSeconds(180), System.nanoTime(), 0);
          assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        }
      }
    }
  }

  private static void faults(Pipeline p, Map<String, Object> settings) throws Exception {
    Map<String, String> sink = p.properties(Stage.SINK);
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(p.convexUrl() + "/_emulator/faults"))
            .header("Authorization", "Convex " + sink.get("convex.admin.key"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Json.write(settings)))
            .build();
    HttpResponse<String> res =
        HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
  }
}
