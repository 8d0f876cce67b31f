#!/usr/bin/env bash
# The pgconvex launcher. Builds what is missing on first use (Maven wrapper build of the CLI, npm install of the
# Convex emulator), then runs the CLI: ./cdc --help lists the commands.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$home"
cp_file="launcher/target/cli.classpath"
stamp="launcher/target/.cli-built"

needs_build() {
  [[ -f "$cp_file" && -f "$stamp" ]] || return 0
  # Rebuild when a source or POM changed since the last build.
  [[ -n "$(find pom.xml ./*/pom.xml ./*/src/main convex/cdc convex/_generated -newer "$stamp" -type f -print -quit 2>/dev/null)" ]]
}

if needs_build; then
  echo "cdc: building the launcher (first use or changed sources)..." >&2
  ./mvnw -B -q -pl launcher -am install -DskipTests -Dspotless.check.skip=true >&2
  touch "$stamp"
fi
if [[ ! -d convex-emulator/node_modules ]]; then
  echo "cdc: installing the Convex emulator's npm packages..." >&2
  (cd convex-emulator && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

exec java ${CDC_JAVA_OPTS:--Xmx2g} -Dpgconvex.home="$home" \
  -cp "launcher/target/classes:$(cat "$cp_file")" dev.pgconvex.cli.Cdc "$@"
