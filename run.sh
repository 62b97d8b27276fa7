#!/usr/bin/env bash
# Builds mica (tests skipped) if needed and runs `mica serve` on its defaults (127.0.0.1:11434).
# Arguments go to mica: ./run.sh serve, ./run.sh list, ./run.sh create NAME -f FILE ...
set -euo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
if [ ! -x distribution/target/mica/bin/mica ] || [ -n "$(find . -path ./distribution/target -prune -o -newer distribution/target/mica/bin/mica -name '*.java' -print -quit 2>/dev/null)" ]; then
  ./mvnw -B -ntp -q install -DskipTests
fi
[ $# -eq 0 ] && set -- serve
exec distribution/target/mica/bin/mica "$@"
