package dev.pgconvex.transformer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.transformer.Fixture.Driver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Random Postgres histories (inserts, updates, deletes, re-parenting, TOAST patches, parent key
 * changes), delivered in random interleavings of the two source topics, the sink's writes and the
 * ids topic, must leave Convex (a tiny model with the position guard) with exactly the documents
 * in-order processing gives.
 *
 * <p>One driver serves every try; each try uses its own key range, so tries cannot see each other.
 */
class ResolutionPropertiesTest {
  private static final int USER_KEYS = 5;
  private static final int POST_KEYS = 5;
  private static Driver driver;
  private static int tryNo;

  static Mapping mapping() {
    return new Mapping(
        List.of(
            new TableMapping(
                "public",
                "users",
                "users",
                List.of("id"),
                List.of(
                    ColumnMapping.of("id", "id", "integer", FieldType.NUMBER, false),
                    ColumnMapping.of("name", "name", "text", FieldType.STRING, true)),
                List.of(new RelationMapping("managerId", List.of("manager_id"), "users", true))),
            new TableMapping(
                "public",
                "posts",
                "posts",
                List.of("id"),
                List.of(
                    ColumnMapping.of("id", "id", "integer", FieldType.NUMBER, false),
                    ColumnMapping.of("title", "title", "text", FieldType.STRING, true)),
                List.of(
                    new RelationMapping("authorId", List.of("user_id"), "users", false),
                    new RelationMapping("editorId", List.of("editor_id"), "users", true)))));
  }

  @BeforeContainer
  static void start() {
    driver = new Driver(mapping());
  }

  @AfterContainer
  static void stop() {
    driver.close();
  }

  record User(String name, Integer managerId) {}

  record Post(String title, int userId, Integer editorId) {}

  /** A Convex document in the model: its id, guard position and content (null once deleted). */
  static final class Doc {
    String id;
    String position;
    ObjectNode doc;
  }

  /** One try: Postgres model, queues between the stages, Convex model. */
  static final class Run {
    final int base = ++tryNo * 100;
    final Map<Integer, User> users = new TreeMap<>();
    final Map<Integer, Post> posts = new TreeMap<>();
    final Deque<String[]> usersQ = new ArrayDeque<>(); // key, value
    final Deque<String[]> postsQ = new ArrayDeque<>();
    final Deque<Operation> opsQ = new ArrayDeque<>();
    final Deque<String[]> idsQ = new ArrayDeque<>();
    final Map<String, Doc> convex = new HashMap<>();
    final Set<String> refs = new HashSet<>();
    long lsn = 1000;
    int order;
    int ids;
    int missingPatches;
    int deliveries;

    void tx() {
      lsn += 10;
      order = 0;
    }

    ObjectNode userRow(int id, User u) {
      ObjectNode r = Json.NODES.objectNode();
      r.put("id", base + id);
      r.put("name", u.name());
      if (u.managerId() == null) {
        r.putNull("manager_id");
      } else {
        r.put("manager_id", base + u.managerId());
      }
      return r;
    }

    ObjectNode postRow(int id, Post p, boolean toastTitle) {
      ObjectNode r = Json.NODES.objectNode();
      r.put("id", base + id);
      r.put("title", toastTitle ? "__debezium_unavailable_value" : p.title());
      r.put("user_id", base + p.userId());
      if (p.editorId() == null) {
        r.putNull("editor_id");
      } else {
        r.put("editor_id", base + p.editorId());
      }
      return r;
    }

    void event(Deque<String[]> q, String op, int id, ObjectNode before, ObjectNode after) {
      String key = "{\"id\":" + (base + id) + "}";
      q.add(new String[] {key, Fixture.envelope(op, before, after, lsn, ++order)});
      if (op.equals("d")) {
        q.add(new String[] {key, null});
      }
    }

    // --- Postgres side ----------------------------------------------------------------------

    void upsertUser(int id, int a) {
      tx();
      User old = users.get(id);
      Integer manager = pickUser(a, id);
      User u = new User("u" + a, manager);
      users.put(id, u);
      event(usersQ, old == null ? "c" : "u", id, null, userRow(id, u));
      refs.add("users/[" + (base + id) + "]");
    }

    Integer pickUser(int a, Integer not) {
      List<Integer> live = new ArrayList<>(users.keySet());
      live.remove(not);
      if (live.isEmpty() || a % 3 == 0) {
        return null;
      }
      return live.get(a % live.size());
    }

    boolean referenced(int id) {
      return posts.values().stream()
              .anyMatch(p -> p.userId() == id || Integer.valueOf(id).equals(p.editorId()))
          || users.values().stream().anyMatch(u -> Integer.valueOf(id).equals(u.managerId()));
    }

    void deleteUser(int id) {
      User u = users.get(id);
      if (u == null || referenced(id)) {
        return;
      }
      tx();
      users.remove(id);
      event(usersQ, "d", id, userRow(id, u), null);
    }

    void upsertPost(int id, int a) {
      Integer author = pickUser(a + 1, null);
      Post old = posts.get(id);
      if (author == null) {
        author = old == null ? null : old.userId();
      }
      if (author == null) {
        return;
      }
      tx();
      Post p =
          new Post(
              old != null && a % 4 == 0 ? old.title() : "p" + a, author, pickUser(a / 7, null));
      posts.put(id, p);
      boolean toast = old != null && old.title().equals(p.title()) && a % 2 == 0;
      event(postsQ, old == null ? "c" : "u", id, null, postRow(id, p, toast));
      refs.add("posts/[" + (base + id) + "]");
    }

    void deletePost(int id) {
      Post p = posts.get(id);
      if (p == null) {
        return;
      }
      tx();
      posts.remove(id);
      event(postsQ, "d", id, postRow(id, p, false), null);
    }

    /** UPDATE users SET id = to WHERE id = from, with ON UPDATE CASCADE on every reference. */
    void rekeyUser(int from, int to) {
      User u = users.get(from);
      if (u == null || users.containsKey(to) || Integer.valueOf(from).equals(u.managerId())) {
        return;
      }
      tx();
      users.remove(from);
      event(usersQ, "d", from, userRow(from, u), null);
      users.put(to, u);
      event(usersQ, "c", to, null, userRow(to, u));
      refs.add("users/[" + (base + to) + "]");
      for (var e : new ArrayList<>(users.entrySet())) {
        if (Integer.valueOf(from).equals(e.getValue().managerId())) {
          User n = new User(e.getValue().name(), to);
          users.put(e.getKey(), n);
          event(usersQ, "u", e.getKey(), null, userRow(e.getKey(), n));
        }
      }
      for (var e : new ArrayList<>(posts.entrySet())) {
        Post p = e.getValue();
        if (p.userId() == from || Integer.valueOf(from).equals(p.editorId())) {
          Post n =
              new Post(
                  p.title(),
                  p.userId() == from ? to : p.userId(),
                  Integer.valueOf(from).equals(p.editorId()) ? Integer.valueOf(to) : p.editorId());
          posts.put(e.getKey(), n);
          event(postsQ, "u", e.getKey(), null, postRow(e.getKey(), n, false));
        }
      }
    }

    // --- pipeline -----------------------------------------------------------------------------

    /**
     * Delivers one record from queue {@code which} (0 users, 1 posts, 2 sink, 3 ids); false if
     * empty.
     */
    boolean deliver(int which) {
      switch (which) {
        case 0, 1 -> {
          String[] kv = (which == 0 ? usersQ : postsQ).poll();
          if (kv == null) {
            return false;
          }
          driver.send(which == 0 ? "users" : "posts", kv[0], kv[1]);
        }
        case 2 -> {
          Operation op = opsQ.poll();
          if (op == null) {
            return false;
          }
          apply(op);
        }
        default -> {
          String[] kv = idsQ.poll();
          if (kv == null) {
            return false;
          }
          driver.ids.pipeInput(kv[0], kv[1]);
        }
      }
      opsQ.addAll(driver.ops());
      deliveries++;
      return true;
    }

    /** The sink plus Convex's applyBatch for one op, with the position guard. */
    void apply(Operation op) {
      if (op.isHeartbeat()) {
        return; // the sink never sends a heartbeat to Convex
      }
      String ref = op.ref().toString();
      Doc d = convex.computeIfAbsent(ref, k -> new Doc());
      if (d.position != null && op.position().compareTo(d.position) < 0) {
        return; // skipped
      }
      switch (op.op()) {
        case UPSERT -> {
          if (d.doc == null) {
            d.id = "cx" + (++ids);
          }
          d.doc = op.doc().deepCopy();
        }
        case PATCH -> {
          if (d.doc == null) {
            missingPatches++;
            return;
          }
          for (Iterator<Map.Entry<String, JsonNode>> it = op.doc().fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getValue().isNull()) {
              d.doc.remove(f.getKey());
            } else {
              d.doc.set(f.getKey(), f.getValue());
            }
          }
        }
        case DELETE -> {
          d.doc = null;
          d.id = null;
        }
        case HEARTBEAT -> throw new AssertionError("handled above");
      }
      d.position = op.position();
      idsQ.add(
          new String[] {
            ref,
            d.doc == null ? null : "{\"id\":\"" + d.id + "\",\"position\":\"" + d.position + "\"}"
          });
    }

    String idOf(String table, int key) {
      Doc d = convex.get(table + "/[" + (base + key) + "]");
      return d == null || d.doc == null ? null : d.id;
    }

    Map<String, ObjectNode> expected() {
      Map<String, ObjectNode> out = new TreeMap<>();
      users.forEach(
          (id, u) -> {
            ObjectNode o = Json.NODES.objectNode();
            o.put("id", base + id);
            o.put("name", u.name());
            if (u.managerId() != null) {
              o.put("managerId", idOf("users", u.managerId()));
            }
            out.put("users/[" + (base + id) + "]", o);
          });
      posts.forEach(
          (id, p) -> {
            ObjectNode o = Json.NODES.objectNode();
            o.put("id", base + id);
            o.put("title", p.title());
            o.put("authorId", idOf("users", p.userId()));
            if (p.editorId() != null) {
              o.put("editorId", idOf("users", p.editorId()));
            }
            out.put("posts/[" + (base + id) + "]", o);
          });
      return out;
    }

    Map<String, ObjectNode> actual() {
      Map<String, ObjectNode> out = new TreeMap<>();
      convex.forEach(
          (ref, d) -> {
            if (d.doc != null) {
              out.put(ref, d.doc);
            }
          });
      return out;
    }
  }

  @Property(tries = 100)
  void finalDocumentsEqualInOrderProcessing(
      @ForAll @Size(min = 40, max = 160) List<@IntRange(min = 0, max = 99_999) Integer> script) {
    Run run = new Run();
    for (int v : script) {
      int a = v / 10;
      switch (v % 10) {
        case 0, 1 -> run.upsertUser(1 + a % USER_KEYS, a);
        case 2 -> run.deleteUser(1 + a % USER_KEYS);
        case 3, 4 -> run.upsertPost(1 + a % POST_KEYS, a);
        case 5 -> run.deletePost(1 + a % POST_KEYS);
        case 6 -> run.rekeyUser(1 + a % USER_KEYS, 1 + (a / 10) % USER_KEYS);
        default -> run.deliver(a % 4);
      }
    }
    // Drain: the pipeline keeps running until everything is delivered.
    boolean progress = true;
    while (progress) {
      progress = false;
      for (int q = 0; q < 4; q++) {
        progress |= run.deliver(q);
      }
    }

    Statistics.label("live documents").collect(Math.min(run.expected().size(), 10));
    Statistics.label("ops applied").collect(run.ids == 0 ? "none" : run.ids < 10 ? "<10" : "10+");
    assertThat(run.actual()).isEqualTo(run.expected());
    assertThat(run.missingPatches).isZero();
    assertThat(Transformer.pendingRows(driver.rows(), Integer.MAX_VALUE))
        .filteredOn(p -> run.refs.contains(p.childRef()))
        .isEmpty();
  }
}
