#!/usr/bin/env bash
# Builds everything from scratch and runs every test. Needs a JDK 25 (found automatically) and npm.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
exec ./mvnw -B -ntp clean install "$@"
