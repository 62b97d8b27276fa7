#!/usr/bin/env bash
# mica vs llama.cpp: prompt processing (pp512) and generation (tg128) speed on the CPU, on a synthetic
# model with Llama-3.2-1B's shape quantized to Q4_K_M. A benchmark, not a test.
#
# Usage:
#   bench/llama-bench.sh [options]
#
#   --threads N      compute threads (default: physical cores, as llama-bench's default)
#   --reps N         repetitions per measurement (default 5, as llama-bench)
#   --rounds N       alternations llama-bench, mica, llama-bench, mica ... (default 2)
#   --prompt N       prompt tokens, llama-bench -p (default 512)
#   --gen N          generated tokens, llama-bench -n (default 128)
#   --quant TYPE     llama-quantize type of the model (default Q4_K_M)
#   --cache DIR      where llama.cpp is built and the models are kept, outside the repository
#                    (default $MICA_BENCH_CACHE or ~/.cache/mica/bench)
#   --mica-libs DIR  the llama.cpp libraries mica loads: a folder, or "native" for the libraries built
#                    here (the same build llama-bench uses, so only mica's own overhead differs).
#                    Default: mica's shipped prebuilt libraries, native/target/natives/linux-x64
#   --skip-mica      run only llama-bench (steps 1-3 and 5)
#   --rebuild-mica   install kernel, bundles/gguf and bundle-ggml from this working tree first (by default
#                    they are taken from the local Maven repository, and built only when missing there)
#   --only-build     stop after building llama.cpp and the model
#   --keep-f16       keep the 2.4 GB F16 model after quantizing it
#
# Steps:
#   1. Builds llama-bench and llama-quantize from the llama.cpp source that npm node-llama-cpp@3.22.1
#      ships (package/llama/gitRelease.bundle), with -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#      -DBUILD_SHARED_LIBS=ON, 2 jobs, into <cache>/llama.cpp; reused when already built.
#   2. Writes the synthetic model with mica's SyntheticModels (--preset llama-1b --type f16) and
#      quantizes it with llama-quantize; reused when present.
#   3. Runs llama-bench -m <model> -p 512 -n 128 -t <threads> -r 5 -o json.
#   4. Runs mica's measurement of the same thing: dev.mica.bench.GgmlBench (module bench/, through
#      bundle-ggml's Backend, outside OSGi), which mirrors llama-bench's method: pp = one decode of
#      p tokens into an empty cache with n_ctx = p; tg = n one-token decodes from an empty cache with
#      n_ctx = n; n_batch 2048, n_ubatch 512, flash attention auto, F16 KV; one warm-up; reps timed runs.
#   5. Prints pp and tg tokens/s (mean ± stddev, median) of every run, and mica / llama.cpp ratios.
#
# Results (JSON of every run and the table) go to <cache>/results/<timestamp>/.
# Needs: git, cmake, a C++ compiler, npm (only the first time, for `npm pack`), python3, JDK 25.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[[ $threads -ge 1 ]] || threads=$(nproc)
reps=5 rounds=2 prompt=512 gen=128 quant=Q4_K_M
cache=${MICA_BENCH_CACHE:-$HOME/.cache/mica/bench}
mica_libs=$repo/native/target/natives/linux-x64
skip_mica=0 only_build=0 keep_f16=0 rebuild_mica=0
npm_version=3.22.1

while [[ $# -gt 0 ]]; do
    case $1 in
        --threads) threads=$2; shift 2 ;;
        --reps) reps=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --prompt) prompt=$2; shift 2 ;;
        --gen) gen=$2; shift 2 ;;
        --quant) quant=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --mica-libs) mica_libs=$2; shift 2 ;;
        --skip-mica) skip_mica=1; shift ;;
        --rebuild-mica) rebuild_mica=1; shift ;;
        --only-build) only_build=1; shift ;;
        --keep-f16) keep_f16=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [[ -z ${JAVA_HOME:-} && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
export GGML_NO_BACKTRACE=1
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
log() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. llama.cpp
src=$cache/llama.cpp
build=$src/build
bin=$build/bin
if [[ -x $bin/llama-bench && -x $bin/llama-quantize && -f $build/.mica-built ]]; then
    log "1. llama.cpp: reusing $bin"
else
    log "1. llama.cpp: building llama-bench and llama-quantize (node-llama-cpp@$npm_version) in $src"
    tgz=$cache/npm/node-llama-cpp-$npm_version.tgz
    if [[ ! -f $tgz ]] || ! tar -tzf "$tgz" > /dev/null 2>&1; then
        mkdir -p "$cache/npm"
        (cd "$cache/npm" && npm pack --silent "node-llama-cpp@$npm_version" > /dev/null)
    fi
    if [[ ! -d $src/.git ]]; then
        rm -rf "$cache/npm/package" "$src"
        tar -xzf "$tgz" -C "$cache/npm" package/llama/gitRelease.bundle
        git -c advice.detachedHead=false clone -q "$cache/npm/package/llama/gitRelease.bundle" "$src"
        rm -rf "$cache/npm/package"
    fi
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=ON \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON > "$cache/cmake.log" 2>&1
    cmake --build "$build" --config Release -j 2 --target llama-bench llama-quantize > "$cache/build.log"
    touch "$build/.mica-built"
fi
llama_commit=$(git -C "$src" log -1 --format=%h 2>/dev/null || echo unknown)

# ---------------------------------------------------------------- 2. the model
models=$cache/models
mkdir -p "$models"
f16=$models/synthetic-llama-1b-f16.gguf
model=$models/synthetic-llama-1b-${quant,,}.gguf
gguf_jar=$repo/bundles/gguf/target/classes
if [[ -f $model ]]; then
    log "2. model: reusing $model"
else
    log "2. model: writing $f16 and quantizing it to $quant"
    if [[ ! -f $gguf_jar/dev/mica/gguf/SyntheticModels.class ]]; then
        (cd "$repo" && ./mvnw -q -B -f bundles/gguf/pom.xml install -DskipTests)
    fi
    if [[ ! -f $f16 ]]; then
        "$java" -Xmx1g -cp "$gguf_jar" dev.mica.gguf.SyntheticModels --preset llama-1b --type f16 --out "$f16"
    fi
    "$bin/llama-quantize" "$f16" "$model.tmp" "$quant" "$threads" > "$cache/quantize.log" 2>&1
    mv "$model.tmp" "$model"
    [[ $keep_f16 == 1 ]] || rm -f "$f16"
fi
[[ $only_build == 1 ]] && { log "built: $bin/llama-bench, $model"; exit 0; }

# ---------------------------------------------------------------- 3.-4. alternating runs
out=$cache/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
run_llama() {
    log "3. llama-bench round $1: -p $prompt -n $gen -t $threads -r $reps"
    "$bin/llama-bench" -m "$model" -p "$prompt" -n "$gen" -t "$threads" -r "$reps" -o json > "$out/llama-$1.json" 2> "$out/llama-$1.err"
}
mica_cp=
if [[ $skip_mica == 0 ]]; then
    [[ $mica_libs == native ]] && mica_libs=$bin
    if [[ ! -d $repo/bundle-ggml/src/main/java ]]; then
        echo "bundle-ggml is not there yet: run with --skip-mica, or wait for it" >&2; exit 1
    fi
    log "4. building the mica benchmark (bench/); kernel, gguf, bundle-ggml from the local Maven repository"
    m2=${MAVEN_REPO:-$HOME/.m2/repository}/dev/mica
    if [[ ! -d $mica_libs && $mica_libs == "$repo/native/target/natives/linux-x64" ]]; then
        (cd "$repo" && ./mvnw -q -B -f native/pom.xml install)
    fi
    for m in kernel:mica-kernel bundles/gguf:mica-gguf bundle-ggml:mica-bundle-ggml; do
        if [[ $rebuild_mica == 1 || ! -f $m2/${m#*:}/0.1.0-SNAPSHOT/${m#*:}-0.1.0-SNAPSHOT.jar ]]; then
            (cd "$repo" && ./mvnw -q -B -f "${m%%:*}/pom.xml" install -DskipTests)
        fi
    done
    (cd "$repo" && ./mvnw -q -B -f bench/pom.xml package -DskipTests \
        && ./mvnw -q -B -f bench/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime)
    mica_cp=$repo/bench/target/classes:$(cat "$repo/bench/target/classpath.txt")
fi
run_mica() {
    log "4. mica round $1: pp$prompt tg$gen, $threads threads, $reps reps, libraries $mica_libs"
    "$java" --enable-native-access=ALL-UNNAMED -cp "$mica_cp" dev.mica.bench.GgmlBench \
        --model "$model" --libs "$mica_libs" -p "$prompt" -n "$gen" -t "$threads" -r "$reps" > "$out/mica-$1.json" 2> "$out/mica-$1.err"
}
for ((r = 1; r <= rounds; r++)); do
    run_llama "$r"
    [[ $skip_mica == 1 ]] || run_mica "$r"
done

# ---------------------------------------------------------------- 5. table
log "5. results ($out)"
python3 - "$out" "$threads" "$llama_commit" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" <<'PY' | tee "$out/table.txt"
import json, statistics, sys, glob, os
out, threads, commit, cpu = sys.argv[1:5]
def load(kind):
    runs = []
    for f in sorted(glob.glob(os.path.join(out, kind + "-*.json")), key=lambda p: int(p.rsplit("-", 1)[1][:-5])):
        for t in json.load(open(f)):
            test = f"pp{t['n_prompt']}" if t["n_prompt"] > 0 else f"tg{t['n_gen']}"
            n = t["n_prompt"] + t["n_gen"]
            ts = [n * 1e9 / ns for ns in t["samples_ns"]]
            runs.append((os.path.basename(f)[:-5], test, statistics.mean(ts), statistics.stdev(ts) if len(ts) > 1 else 0.0, statistics.median(ts)))
    return runs
llama, mica = load("llama"), load("mica")
print(f"model: {json.load(open(glob.glob(os.path.join(out, 'llama-*.json'))[0]))[0]['model_type']}, threads {threads}, llama.cpp {commit}, CPU {cpu}")
print(f"{'run':<10} {'test':<7} {'mean t/s':>10} {'± stddev':>9} {'median t/s':>11}")
for r in llama + mica:
    print(f"{r[0]:<10} {r[1]:<7} {r[2]:>10.2f} {r[3]:>9.2f} {r[4]:>11.2f}")
if mica:
    print()
    print(f"{'test':<7} {'llama.cpp median':>17} {'mica median':>12} {'mica/llama.cpp':>15}   (medians of all runs' medians)")
    for test in sorted({r[1] for r in llama}, key=lambda s: (s[:2] != "pp", s)):
        lm = statistics.median([r[4] for r in llama if r[1] == test])
        mm = [r[4] for r in mica if r[1] == test]
        if not mm:
            continue
        mm = statistics.median(mm)
        print(f"{test:<7} {lm:>17.2f} {mm:>12.2f} {mm / lm:>15.3f}")
PY
