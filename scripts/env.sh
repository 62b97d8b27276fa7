# Sourced by run.sh, test.sh and .ci/run: finds a JDK 25+ and makes sure npm is there (the build
# fetches llama.cpp's prebuilt libraries from the npm registry).
find_jdk25() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-2[5-9]-jdk-* /usr/lib/jvm/java-2[5-9]-openjdk-* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    local v
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

if ! JAVA_HOME="$(find_jdk25)"; then
  echo "mica needs a JDK 25 or newer. Install one (e.g. Temurin 25) and set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing npm (the build fetches llama.cpp's prebuilt libraries from the npm registry)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "mica's build needs npm (to fetch llama.cpp's prebuilt libraries): install Node.js and npm" >&2
    exit 1
  fi
fi
export GGML_NO_BACKTRACE=1
