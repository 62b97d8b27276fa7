# Shared by the bench scripts that run mica's distribution: logging, the JDK, the launcher.
# Sourced after option parsing; expects $repo.

log() { printf '\n== %s\n' "$*" >&2; }
mica=$repo/distribution/target/mica/bin/mica
[[ -x $mica ]] || { echo "no mica distribution at $mica: build it first (./mvnw -q -B install -DskipTests)" >&2; exit 1; }
if [[ -z ${JAVA_HOME:-} && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
# a crash in libggml should print its message, not wait for gdb
export GGML_NO_BACKTRACE=1
