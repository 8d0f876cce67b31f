package dev.pgconvex.cli;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./cdc config-doc}: the configuration reference, generated from the key definitions. */
@Command(
    name = "config-doc",
    mixinStandardHelpOptions = true,
    description =
        "Print (or write) the configuration reference generated from the key definitions.")
final class ConfigDocCommand implements Callable<Integer> {
  @Option(names = "--out", description = "Write to this file instead of standard output.")
  Path out;

  @Override
  public Integer call() throws Exception {
    String doc = render();
    if (out == null) {
      System.out.print(doc);
    } else {
      Files.writeString(out, doc);
    }
    return 0;
  }

  /** The whole reference as Markdown. */
  static String render() {
    Set<String> common =
        CommonConfig.definition().keys().stream().map(ConfigKey::name).collect(Collectors.toSet());
    StringBuilder sb = new StringBuilder();
    sb.append("# Configuration reference\n\n")
        .append(
            "Generated from the key definitions by `./cdc config-doc --out docs/configuration.md`;")
        .append(
            " do not edit by hand. Keys are given in the service's properties file (`--config FILE`), as")
        .append(
            " `key=value` arguments, or to `./cdc run|demo` with `--set key=value`. Keys starting with")
        .append(
            " `kafka.` go to the Kafka clients and `debezium.` to the Debezium engine, prefix removed.\n\n");
    boolean first = true;
    for (var section : ConfigReference.sections().entrySet()) {
      if (first) {
        sb.append("## ").append(section.getKey()).append("\n\n");
        sb.append(section.getValue().toMarkdown()).append('\n');
        first = false;
      } else {
        section(sb, section.getKey(), section.getValue(), common);
      }
    }
    return sb.toString();
  }

  private static void section(StringBuilder sb, String title, ConfigDef def, Set<String> skip) {
    ConfigDef own = new ConfigDef();
    def.keys().stream()
        .filter(k -> !skip.contains(k.name()))
        .forEach(
            k ->
                own.define(
                    k.name(), k.type(), k.defaultValue(), k.validator(), k.importance(), k.doc()));
    sb.append("## ").append(title).append("\n\n").append(own.toMarkdown()).append('\n');
  }
}
