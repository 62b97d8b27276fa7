#!/usr/bin/env bash
# The Java backend vs llama.cpp: prompt processing (pp512) and generation (tg128) on the CPU, on the
# synthetic model with Llama-3.2-1B's shape in Q8_0 and Q4_0, same threads. A benchmark, not a test.
#
# Usage:
#   bench/java-bench.sh [options]
#
#   --threads N     compute threads for both (default: physical cores, as llama-bench's default)
#   --reps N        repetitions per measurement (default 5, as llama-bench)
#   --rounds N      alternations llama-bench, Java, llama-bench, Java ... per type (default 2)
#   --types "T..."  weight types, written directly by SyntheticModels (default "q8_0 q4_0")
#   --prompt N      prompt tokens (default 512)
#   --gen N         generated tokens (default 128)
#   --cache DIR     llama.cpp build and models, shared with bench/llama-bench.sh
#                   (default $MICA_BENCH_CACHE or ~/.cache/mica/bench)
#   --java-opts "…"  extra JVM options for the Java runs, e.g.
#                   "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0" (drops the Vector API's bounds
#                   checks on loads: faster kernels, no safety net)
#   --profile       also record one Java run per type with JDK Flight Recorder and print where the
#                   samples fall (top methods), into the results folder
#
# Steps:
#   1. llama-bench: reuses bench/llama-bench.sh's build in <cache>/llama.cpp (runs
#      bench/llama-bench.sh --only-build when it is missing).
#   2. Models: <cache>/models/synthetic-llama-1b-<type>.gguf, written by SyntheticModels
#      (--preset llama-1b --type <type>); reused when present.
#   3. Per round and type: llama-bench -m <model> -p P -n N -t T -r R -o json, then
#      bench/JavaBench.java (the same method through the Java backend's InferenceContext).
#   4. Prints medians and Java / llama.cpp ratios; JSON of every run in <cache>/results/java-<timestamp>/.
# Needs: JDK 25, python3; the jars of kernel, backend-java and arch-llama (installed with ./mvnw when
# missing from the local Maven repository).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[[ $threads -ge 1 ]] || threads=$(nproc)
reps=5 rounds=2 types="q8_0 q4_0" prompt=512 gen=128 profile=0 java_opts=""
cache=${MICA_BENCH_CACHE:-$HOME/.cache/mica/bench}
while [[ $# -gt 0 ]]; do
    case $1 in
        --threads) threads=$2; shift 2 ;;
        --reps) reps=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --types) types=$2; shift 2 ;;
        --prompt) prompt=$2; shift 2 ;;
        --gen) gen=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --profile) profile=1; shift ;;
        --java-opts) java_opts=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [[ -z ${JAVA_HOME:-} && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jfr=${JAVA_HOME:+$JAVA_HOME/bin/}jfr
log() { printf '\n== %s\n' "$*" >&2; }

bin=$cache/llama.cpp/build/bin
if [[ ! -x $bin/llama-bench ]]; then
    log "1. building llama-bench with bench/llama-bench.sh --only-build"
    "$repo/bench/llama-bench.sh" --cache "$cache" --only-build
fi

m2=${MAVEN_REPO:-$HOME/.m2/repository}/dev/mica
jar() { echo "$m2/$1/0.1.0-SNAPSHOT/$1-0.1.0-SNAPSHOT.jar"; }
for m in kernel:mica-kernel bundles/gguf:mica-gguf bundles/tokenizer:mica-tokenizer bundles/backend-java:mica-backend-java bundles/arch-llama:mica-arch-llama bench:mica-bench; do
    if [[ ! -f $(jar "${m#*:}") ]]; then
        (cd "$repo" && ./mvnw -q -B -f "${m%%:*}/pom.xml" install -DskipTests)
    fi
done
cp=$(jar mica-kernel):$(jar mica-backend-java):$(jar mica-arch-llama):$(jar mica-bench)

mkdir -p "$cache/models"
for t in $types; do
    model=$cache/models/synthetic-llama-1b-$t.gguf
    if [[ ! -f $model ]]; then
        log "2. writing $model"
        "$java" -Xmx1g -cp "$(jar mica-gguf)" dev.mica.gguf.SyntheticModels --preset llama-1b --type "$t" --out "$model"
    fi
done

out=$cache/results/java-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $java_opts)
for ((r = 1; r <= rounds; r++)); do
    for t in $types; do
        model=$cache/models/synthetic-llama-1b-$t.gguf
        log "3. round $r, $t: llama-bench -p $prompt -n $gen -t $threads -r $reps"
        "$bin/llama-bench" -m "$model" -p "$prompt" -n "$gen" -t "$threads" -r "$reps" -o json > "$out/llama-$t-$r.json" 2> "$out/llama-$t-$r.err"
        log "3. round $r, $t: Java backend, same test"
        "$java" "${jvm[@]}" -cp "$cp" "$repo/bench/JavaBench.java" --model "$model" -p "$prompt" -n "$gen" -t "$threads" -r "$reps" \
            > "$out/java-$t-$r.json" 2> "$out/java-$t-$r.err"
    done
done
if [[ $profile == 1 ]]; then
    for t in $types; do
        log "profile, $t: one pp and one tg run under Flight Recorder"
        "$java" "${jvm[@]}" -XX:StartFlightRecording=filename="$out/java-$t.jfr",settings=profile -cp "$cp" "$repo/bench/JavaBench.java" \
            --model "$cache/models/synthetic-llama-1b-$t.gguf" -p "$prompt" -n "$gen" -t "$threads" -r 1 > /dev/null 2> "$out/profile-$t.err"
        "$jfr" print --events jdk.ExecutionSample "$out/java-$t.jfr" | grep -A 1 "stackTrace = \[" | grep -v "stackTrace\|^--" \
            | sed 's/^ *//; s/line:.*//' | sort | uniq -c | sort -rn | head -15 | tee "$out/profile-$t.txt"
    done
fi

log "4. results ($out)"
python3 - "$out" "$threads" "$(git -C "$cache/llama.cpp" log -1 --format=%h 2>/dev/null || echo unknown)" \
    "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$types" <<'PY' | tee "$out/table.txt"
import json, statistics, sys, glob, os
out, threads, commit, cpu, types = sys.argv[1:6]
def medians(tool, t):
    runs = {}
    for f in sorted(glob.glob(os.path.join(out, f"{tool}-{t}-*.json"))):
        for r in json.load(open(f)):
            test = f"pp{r['n_prompt']}" if r["n_prompt"] > 0 else f"tg{r['n_gen']}"
            n = r["n_prompt"] + r["n_gen"]
            runs.setdefault(test, []).append(statistics.median(n * 1e9 / ns for ns in r["samples_ns"]))
    return runs
print(f"threads {threads}, llama.cpp {commit}, CPU {cpu}; medians over rounds of each run's median")
print(f"{'type':<6} {'test':<7} {'llama.cpp t/s':>14} {'java t/s':>9} {'java/llama.cpp':>15}   runs (llama.cpp | java)")
for t in types.split():
    l, j = medians("llama", t), medians("java", t)
    for test in sorted(l, key=lambda s: (s[:2] != "pp", s)):
        lm, jm = statistics.median(l[test]), statistics.median(j.get(test, [float("nan")]))
        print(f"{t:<6} {test:<7} {lm:>14.2f} {jm:>9.2f} {jm / lm:>15.3f}   {' '.join(f'{v:.1f}' for v in l[test])} | {' '.join(f'{v:.1f}' for v in j.get(test, []))}")
PY
