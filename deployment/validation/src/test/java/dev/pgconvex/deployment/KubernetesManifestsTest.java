package dev.pgconvex.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.kafka.TopicBootstrap;
import dev.pgconvex.operations.alerts.AlertSettings;
import dev.pgconvex.operations.alerts.PrometheusRules;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * k8s/: every manifest validates against the Kubernetes API model (fabric8's classes, generated
 * from the Kubernetes and Prometheus Operator OpenAPI schemas, read strictly: an unknown field or a
 * value of the wrong type fails, where fabric8 itself would keep it aside), each overlay builds
 * with {@code kubectl kustomize} and its output validates the same way and holds together (config
 * keys against the stages' definitions and parsers, probes, the single source, replicas within the
 * partition count, budgets and policies per service, the alert rules, the Strimzi topics).
 *
 * <p>Where kubectl is missing the overlays are not built (the test says so and is skipped); the
 * files are still validated one by one, and the configuration as each overlay merges it.
 */
class KubernetesManifestsTest {
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final ObjectMapper STRICT = strictMapper();
  private static final List<String> STAGES = List.of("source", "transformer", "sink");

  // fabric8's classes keep unknown fields in additionalProperties (an any-setter): without it,
  // and failing on unknown properties, the model is a schema.
  private static ObjectMapper strictMapper() {
    SimpleModule noAnySetter = new SimpleModule();
    noAnySetter.setDeserializerModifier(
        new BeanDeserializerModifier() {
          @Override
          public BeanDeserializerBuilder updateBuilder(
              DeserializationConfig config, BeanDescription desc, BeanDeserializerBuilder b) {
            b.setAnySetter(null);
            return b;
          }
        });
    return new ObjectMapper()
        .registerModule(noAnySetter)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
        .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
        .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
  }

  /** The typed resource of {@code doc}, or the failure naming the field. */
  static Object validate(Map<String, Object> doc) {
    String apiVersion = (String) doc.get("apiVersion");
    String kind = (String) doc.get("kind");
    assertThat(apiVersion).as("apiVersion of " + doc).isNotBlank();
    assertThat(kind).as("kind of " + doc).isNotBlank();
    if (kind.equals("KafkaTopic")) {
      validateKafkaTopic(doc);
      return doc;
    }
    Class<? extends KubernetesResource> type =
        K8S.getRegisteredKubernetesResource(apiVersion, kind);
    assertThat(type)
        .as(apiVersion + " " + kind + " is a known kind")
        .isNotNull()
        .isNotEqualTo(GenericKubernetesResource.class);
    try {
      return STRICT.convertValue(doc, type);
    } catch (IllegalArgumentException e) {
      throw new AssertionError(
          kind
              + " "
              + name(doc)
              + " does not match the "
              + apiVersion
              + " schema: "
              + e.getMessage(),
          e);
    }
  }

  // Strimzi's KafkaTopic (kafka.strimzi.io/v1beta2) has no model here: its spec fields by hand.
  @SuppressWarnings("unchecked")
  private static void validateKafkaTopic(Map<String, Object> doc) {
    assertThat(doc.get("apiVersion")).isEqualTo("kafka.strimzi.io/v1beta2");
    assertThat(doc).containsOnlyKeys("apiVersion", "kind", "metadata", "spec");
    Map<String, Object> spec = (Map<String, Object>) doc.get("spec");
    assertThat(spec.keySet()).isSubsetOf("topicName", "partitions", "replicas", "config");
    assertThat(spec.get("partitions")).isInstanceOf(Integer.class);
    assertThat(spec.get("replicas")).isInstanceOf(Integer.class);
    assertThat(spec.get("config")).isInstanceOf(Map.class);
    Map<String, Object> metadata = (Map<String, Object>) doc.get("metadata");
    assertThat(((Map<String, Object>) metadata.get("labels"))).containsKey("strimzi.io/cluster");
  }

  @SuppressWarnings("unchecked")
  private static String name(Map<String, Object> doc) {
    return String.valueOf(
        ((Map<String, Object>) doc.getOrDefault("metadata", Map.of())).get("name"));
  }

  @Test
  void theValidationRefusesUnknownFieldsAndWrongTypes() {
    Map<String, Object> good = Repo.yamlDocuments(Repo.read("k8s/base/sink.yaml")).get(0);
    validate(good);
    String text = Repo.read("k8s/base/sink.yaml").split("\n---\n")[0];
    Map<String, Object> typo =
        Repo.yamlDocuments(text.replace("readinessProbe:", "readynessProbe:")).get(0);
    assertThatThrownBy(() -> validate(typo)).hasMessageContaining("readynessProbe");
    Map<String, Object> wrongType =
        Repo.yamlDocuments(text.replace("replicas: 2", "replicas: two")).get(0);
    assertThatThrownBy(() -> validate(wrongType)).hasMessageContaining("replicas");
  }

  @Test
  void everyManifestFileValidates() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(Repo.file("k8s"))) {
      files =
          walk.filter(p -> p.toString().endsWith(".yaml"))
              .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
              .sorted()
              .toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    int docs = 0;
    for (Path f : files) {
      for (Map<String, Object> doc : Repo.yamlDocuments(Files.readString(f))) {
        validate(doc); // a patch validates too: a partial object of the same kind
        docs++;
      }
    }
    assertThat(docs).isGreaterThanOrEqualTo(20);
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "production"})
  void theConfigAsEachOverlayMergesItUsesOnlyKeysItsStagesDefine(String overlay) {
    List<String> problems = new ArrayList<>();
    for (String stage : STAGES) {
      Map<String, String> props = new LinkedHashMap<>();
      for (String file : List.of("common.properties", stage + ".properties")) {
        Path own = Repo.file("k8s/overlays/" + overlay + "/config/" + file);
        String text =
            Files.exists(own)
                ? Repo.read("k8s/overlays/" + overlay + "/config/" + file)
                : Repo.read("k8s/base/config/" + file);
        props.putAll(ServiceConfig.properties(text));
      }
      problems.addAll(ServiceConfig.problems(stage, props));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @SuppressWarnings("unchecked")
  void thePrometheusRuleHoldsTheAlertRules() {
    Map<String, Object> rule = Repo.yamlDocuments(Repo.read("k8s/base/prometheusrule.yaml")).get(0);
    Map<String, Object> rendered =
        new Yaml().load(PrometheusRules.render(AlertSettings.defaults()));
    assertThat(((Map<String, Object>) rule.get("spec")).get("groups"))
        .as("k8s/base/prometheusrule.yaml is the rules of ./cdc alert-rules")
        .isEqualTo(rendered.get("groups"));
  }

  @Test
  void theStrimziTopicsAreThoseThePipelineCreates() {
    Map<String, String> common =
        ServiceConfig.properties(Repo.read("k8s/overlays/production/config/common.properties"));
    assertTopics(
        Repo.yamlDocuments(Repo.read("k8s/components/strimzi-topics/kafkatopics.yaml")), common);
  }

  @SuppressWarnings("unchecked")
  private static void assertTopics(List<Map<String, Object>> docs, Map<String, String> common) {
    Config config = CommonConfig.definition().parse(common);
    Topics topics = Topics.from(config);
    Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
    for (Map<String, Object> d : docs) {
      if ("KafkaTopic".equals(d.get("kind"))) {
        Map<String, Object> spec = (Map<String, Object>) d.get("spec");
        byName.put((String) spec.get("topicName"), spec);
      }
    }
    List<NewTopic> expected = new ArrayList<>(TopicBootstrap.pipelineTopics(config));
    expected.add(
        new NewTopic(topics.offsets(), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
    expected.add(
        new NewTopic(topics.dlqReplays(), 1, (short) 1)
            .configs(Map.of("cleanup.policy", "compact")));
    assertThat(byName.keySet())
        .containsExactlyInAnyOrderElementsOf(expected.stream().map(NewTopic::name).toList());
    for (NewTopic t : expected) {
      Map<String, Object> spec = byName.get(t.name());
      assertThat(spec.get("partitions")).as(t.name()).isEqualTo(t.numPartitions());
      assertThat(spec.get("replicas"))
          .as(t.name())
          .isEqualTo(config.getInt(CommonConfig.TOPIC_REPLICATION_FACTOR));
      Map<String, Object> cfg = (Map<String, Object>) spec.get("config");
      String policy = t.configs() == null ? null : t.configs().get("cleanup.policy");
      if ("compact".equals(policy)) {
        assertThat(cfg).as(t.name() + " is compacted").containsEntry("cleanup.policy", "compact");
      } else {
        assertThat(cfg).as(t.name() + " is not compacted").doesNotContainKey("cleanup.policy");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "production"})
  void eachOverlayBuildsAndHoldsTogether(String overlay) throws Exception {
    String rendered = kustomize("k8s/overlays/" + overlay);
    List<Map<String, Object>> docs = Repo.yamlDocuments(rendered);
    Map<String, ConfigMap> configMaps = new LinkedHashMap<>();
    Map<String, Deployment> deployments = new LinkedHashMap<>();
    Map<String, Service> services = new LinkedHashMap<>();
    List<PodDisruptionBudget> budgets = new ArrayList<>();
    List<NetworkPolicy> policies = new ArrayList<>();
    List<ServiceMonitor> monitors = new ArrayList<>();
    String namespace = null;
    for (Map<String, Object> doc : docs) {
      Object o = validate(doc);
      assertThat(doc.get("kind")).as("no Secret is committed").isNotEqualTo("Secret");
      if (o instanceof ConfigMap cm) {
        configMaps.put(cm.getMetadata().getName(), cm);
      } else if (o instanceof Deployment d) {
        deployments.put(d.getMetadata().getName(), d);
        namespace = d.getMetadata().getNamespace();
      } else if (o instanceof Service s) {
        services.put(s.getMetadata().getName(), s);
      } else if (o instanceof PodDisruptionBudget b) {
        budgets.add(b);
      } else if (o instanceof NetworkPolicy p) {
        policies.add(p);
      } else if (o instanceof ServiceMonitor m) {
        monitors.add(m);
      }
    }
    assertThat(namespace).isEqualTo(overlay.equals("dev") ? "pgconvex-dev" : "pgconvex");
    assertThat(deployments.keySet())
        .containsExactlyInAnyOrder("pgconvex-source", "pgconvex-transformer", "pgconvex-sink");

    int partitions = -1;
    List<String> problems = new ArrayList<>();
    for (String stage : STAGES) {
      Deployment d = deployments.get("pgconvex-" + stage);
      Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
      assertThat(d.getSpec().getSelector().getMatchLabels().entrySet())
          .isSubsetOf(labels.entrySet());
      assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot())
          .isTrue();
      Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(ComposeFileTest.pinned(c.getImage())).as(c.getImage() + " is pinned").isTrue();
      assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
      assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
      assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
      assertThat(c.getResources().getLimits()).containsKey("memory");

      // The config the container reads: its --config files from the rendered ConfigMap, in order.
      Map<String, String> files = new LinkedHashMap<>();
      for (Volume v : d.getSpec().getTemplate().getSpec().getVolumes()) {
        if (v.getConfigMap() != null && configMaps.containsKey(v.getConfigMap().getName())) {
          files.putAll(configMaps.get(v.getConfigMap().getName()).getData());
        } else if (v.getConfigMap() != null) {
          assertThat(v.getConfigMap().getName())
              .as("made by the user (README)")
              .isEqualTo("pgconvex-mapping");
        } else if (v.getSecret() != null) {
          assertThat(v.getSecret().getSecretName()).isIn("pgconvex-postgres", "pgconvex-convex");
        }
      }
      Map<String, String> props = new LinkedHashMap<>();
      List<String> args = c.getArgs();
      for (int i = 0; i < args.size(); i++) {
        if (args.get(i).equals("--config")) {
          String path = args.get(++i);
          assertThat(path).startsWith("/etc/pgconvex/");
          String file = files.get(path.substring("/etc/pgconvex/".length()));
          assertThat(file).as(stage + " reads " + path).isNotNull();
          props.putAll(ServiceConfig.properties(file));
        } else {
          props.putAll(ServiceConfig.properties(args.get(i)));
        }
      }
      problems.addAll(ServiceConfig.problems(stage, props));
      // Every file the config names is on a mounted volume: secrets and the mapping read-only,
      // the state directory writable.
      Map<String, Volume> volumes = new LinkedHashMap<>();
      d.getSpec().getTemplate().getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
      props.forEach(
          (key, value) -> {
            if (key.endsWith(".file") || key.endsWith(".dir")) {
              assertThat(c.getVolumeMounts())
                  .as(stage + ": " + key + "=" + value + " is on a volume")
                  .anySatisfy(
                      vm -> {
                        assertThat(value).startsWith(vm.getMountPath() + "/");
                        Volume v = volumes.get(vm.getName());
                        if (key.endsWith(".dir")) {
                          assertThat(vm.getReadOnly()).isNotEqualTo(Boolean.TRUE);
                        } else {
                          assertThat(v.getSecret() != null || v.getConfigMap() != null).isTrue();
                        }
                      });
            }
          });
      int p = Integer.parseInt(props.get("cdc.topic.partitions"));
      assertThat(partitions == -1 || partitions == p).as("one partition count").isTrue();
      partitions = p;

      // A budget, a policy and a Service (port http, scraped by the ServiceMonitor) per stage.
      assertThat(budgets)
          .anySatisfy(
              b ->
                  assertThat(b.getSpec().getSelector().getMatchLabels().entrySet())
                      .isSubsetOf(labels.entrySet()));
      assertThat(policies)
          .anySatisfy(
              np -> {
                assertThat(np.getSpec().getPodSelector().getMatchLabels().entrySet())
                    .isSubsetOf(labels.entrySet());
                assertThat(np.getSpec().getPolicyTypes()).contains("Ingress", "Egress");
              });
      Service svc = services.get("pgconvex-" + stage);
      assertThat(svc.getSpec().getPorts())
          .anySatisfy(port -> assertThat(port.getName()).isEqualTo("http"));
      assertThat(monitors)
          .anySatisfy(
              m -> {
                assertThat(svc.getMetadata().getLabels().entrySet())
                    .containsAll(m.getSpec().getSelector().getMatchLabels().entrySet());
                assertThat(m.getSpec().getEndpoints().get(0).getPort()).isEqualTo("http");
                assertThat(m.getSpec().getEndpoints().get(0).getPath()).isEqualTo("/metrics");
              });
    }
    assertThat(problems).isEmpty();

    // One source, replaced rather than rolled; the others within the partition count.
    Deployment source = deployments.get("pgconvex-source");
    assertThat(source.getSpec().getReplicas()).isEqualTo(1);
    assertThat(source.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    for (String s : List.of("pgconvex-transformer", "pgconvex-sink")) {
      assertThat(deployments.get(s).getSpec().getReplicas()).isBetween(1, partitions);
    }
    // The transformer's state directory is on a volume of its own.
    Deployment transformer = deployments.get("pgconvex-transformer");
    assertThat(transformer.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo("state");
              assertThat(
                      v.getEphemeral()
                          .getVolumeClaimTemplate()
                          .getSpec()
                          .getResources()
                          .getRequests())
                  .containsKey("storage");
            });

    assertThat(docs).anySatisfy(d -> assertThat(d.get("kind")).isEqualTo("PrometheusRule"));
    if (overlay.equals("production")) {
      Map<String, String> common =
          ServiceConfig.properties(
              configMaps.values().iterator().next().getData().get("common.properties"));
      assertTopics(docs, common);
    }
  }

  private static String kustomize(String dir) throws Exception {
    Path kubectl =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .map(p -> Path.of(p, "kubectl"))
            .filter(Files::isExecutable)
            .findFirst()
            .orElse(null);
    Assumptions.assumeTrue(
        kubectl != null,
        "kubectl is not on PATH: the overlays are not built here (apt-get install kubernetes-client,"
            + " or any kubectl with kustomize); every file is still validated by"
            + " everyManifestFileValidates and the merged config by"
            + " theConfigAsEachOverlayMergesItUsesOnlyKeysItsStagesDefine");
    // The layout uses labels, components and targeted patches: kustomize v4 or later (kubectl
    // 1.21+; Debian 12's kubernetes-client is 1.20 with kustomize v2).
    Process v =
        new ProcessBuilder(kubectl.toString(), "version", "--client")
            .redirectErrorStream(true)
            .start();
    String version = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    v.waitFor(30, TimeUnit.SECONDS);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("Kustomize Version: v(\\d+)").matcher(version);
    Assumptions.assumeTrue(
        m.find() && Integer.parseInt(m.group(1)) >= 4,
        "kubectl's kustomize is older than v4 ("
            + version.strip()
            + "): the overlays are not built"
            + " here; every file is still validated by everyManifestFileValidates");
    Process p =
        new ProcessBuilder(kubectl.toString(), "kustomize", Repo.file(dir).toString())
            .redirectErrorStream(false)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize " + dir + ": " + err).isZero();
    return out;
  }
}
