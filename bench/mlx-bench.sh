#!/usr/bin/env bash
# The MLX backend on the CPU: (a) against the GGML backend on the same GGUF (prompt processing and
# generation, llama-bench's method), and (b) against bench/mlx_ref.c, the same decode step written
# directly against mlx-c (the FFM/Java overhead: ratio = reference ms / backend ms, 1.0 = no overhead).
# A benchmark, not a test.
#
# Usage:
#   bench/mlx-bench.sh [options]
#
#   --mlx-path DIR  folder with libmlxc and libmlx (default $MICA_MLX_PATH); headers in DIR/../include
#   --types "T..."  weight types, written directly by SyntheticModels (default "q4_0"; q8_0 also works)
#   --layers N      layers of the synthetic model (default 2) and --vocab N its vocabulary (default 32000):
#                   Llama-3.2-1B's width, heads and n_ff, fewer layers and a smaller vocabulary, because
#                   MLX's CPU backend decodes the full 1B model at under 1 token/s here. --full: the full shape
#                   (the model file java-bench.sh uses, <cache>/models/synthetic-llama-1b-<type>.gguf)
#   --steps-only    only the decode-step comparison (b), no pp/tg runs: what is practical with --full
#   --prompt N      prompt tokens (default 128) and --gen N generated tokens (default 32)
#   --reps N        repetitions per measurement (default 3)
#   --rounds N      alternations GGML, MLX (and mlx_ref, MLX step) per type (default 2)
#   --threads N     GGML's compute threads (default 1: MLX's CPU backend takes no thread count and ran
#                   its quantized matmuls on one core here)
#   --ctx N --steps N  the decode-step comparison: STEPS single steps timed after a CTX-token prompt
#                   (defaults 32 and 16)
#   --ggml-libs DIR libllama/libggml for the GGML backend (default: bench/llama-bench.sh's native build,
#                   <cache>/llama.cpp/build/bin)
#   --cache DIR     models and results (default $MICA_BENCH_CACHE or ~/.cache/mica/bench)
#
# Steps:
#   1. Compiles bundle-mlx from this working tree (./mvnw -o -pl bundle-mlx compile, nothing installed)
#      and the bench module (GgmlBench) as bench/llama-bench.sh does; kernel, gguf, tokenizer, arch-llama
#      and bundle-ggml jars come from the local Maven repository.
#   2. Models: <cache>/models/synthetic-llama-1b-<layers>l-<vocab>-<type>.gguf by SyntheticModels; reused.
#   3. Compiles bench/mlx_ref.c with cc against the installed libmlxc (never builds MLX).
#      Checks, per type, that it computes what the backend does: the first logits of one token at
#      position 0, from both (printed; they agreed to all 6 printed decimals here).
#   4. Per round and type: GgmlBench -p P -n N -t T -r R; MlxBench -p P -n N -r R; mlx_ref; MlxBench --steps.
#   5. Prints medians and ratios; every run's output in <cache>/results/mlx-<timestamp>/.
# Needs: JDK 25, python3, cc; an installed MLX + mlx-c (lib and include).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mlx=${MICA_MLX_PATH:-}
types="q4_0" layers=2 vocab=32000 prompt=128 gen=32 reps=3 rounds=2 threads=1 ctx=32 steps=16 full=0 steps_only=0
cache=${MICA_BENCH_CACHE:-$HOME/.cache/mica/bench}
ggml_libs=
while [[ $# -gt 0 ]]; do
    case $1 in
        --mlx-path) mlx=$2; shift 2 ;;
        --types) types=$2; shift 2 ;;
        --layers) layers=$2; shift 2 ;;
        --vocab) vocab=$2; shift 2 ;;
        --full) full=1; shift ;;
        --steps-only) steps_only=1; shift ;;
        --prompt) prompt=$2; shift 2 ;;
        --gen) gen=$2; shift 2 ;;
        --reps) reps=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --ctx) ctx=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --ggml-libs) ggml_libs=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ -n $mlx && -d $mlx ]] || { echo "no MLX: pass --mlx-path DIR or set MICA_MLX_PATH (a folder with libmlxc)" >&2; exit 2; }
ggml_libs=${ggml_libs:-$cache/llama.cpp/build/bin}
if [[ -z ${JAVA_HOME:-} && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
log() { printf '\n== %s\n' "$*" >&2; }

log "1. compiling bundle-mlx and the bench module"
(cd "$repo" && ./mvnw -q -B -o -pl bundle-mlx compile \
    && ./mvnw -q -B -o -f bench/pom.xml package -DskipTests \
    && ./mvnw -q -B -o -f bench/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime)
m2=${MAVEN_REPO:-$HOME/.m2/repository}
jar() { echo "$m2/dev/mica/$1/0.1.0-SNAPSHOT/$1-0.1.0-SNAPSHOT.jar"; }
osgi=$(find "$m2/org/osgi/osgi.core" -name 'osgi.core-*.jar' | sort | tail -1)
mlx_cp=$repo/bundle-mlx/target/classes:$repo/bench/target/classes:$(jar mica-kernel):$(jar mica-gguf):$(jar mica-tokenizer):$(jar mica-arch-llama):$osgi
ggml_cp=$repo/bench/target/classes:$(cat "$repo/bench/target/classpath.txt")

mkdir -p "$cache/models"
if [[ $full == 1 ]]; then shape=(); tag=; else shape=(--n-layer "$layers" --n-vocab "$vocab"); tag=-${layers}l-$vocab; fi
for t in $types; do
    model=$cache/models/synthetic-llama-1b$tag-$t.gguf
    if [[ ! -f $model ]]; then
        log "2. writing $model"
        "$java" -Xmx2g -cp "$(jar mica-gguf)" dev.mica.gguf.SyntheticModels --preset llama-1b "${shape[@]}" --type "$t" --out "$model"
    fi
done
n_layer=$([[ $full == 1 ]] && echo 16 || echo "$layers")

log "3. compiling bench/mlx_ref.c against $mlx"
out=$cache/results/mlx-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=199309L -o "$out/mlx_ref" "$repo/bench/mlx_ref.c" -I"$mlx/../include" -L"$mlx" -lmlxc -lmlx \
    -Wl,-rpath,"$mlx" -lm

for t in $types; do
    model=$cache/models/synthetic-llama-1b$tag-$t.gguf
    log "3. $t: do mlx_ref and the backend compute the same? logits of one token at position 0"
    "$out/mlx_ref" "$model" "$n_layer" 32 8 64 1e-5 500000 0 1 1234 2>&1 >/dev/null | grep '^logits' | sed 's/^/mlx_ref: /' > "$out/same-$t.txt"
    "$java" --enable-native-access=ALL-UNNAMED -cp "$mlx_cp" "$repo/bench/MlxBench.java" --model "$model" --libs "$mlx" --logits 1234 \
        2>/dev/null | sed 's/^/backend: /' >> "$out/same-$t.txt"
    cat "$out/same-$t.txt" >&2
done

for ((r = 1; r <= rounds; r++)); do
    for t in $types; do
        model=$cache/models/synthetic-llama-1b$tag-$t.gguf
        if [[ $steps_only == 0 ]]; then
            log "4. round $r, $t: GGML backend, pp$prompt tg$gen, $threads threads"
            "$java" --enable-native-access=ALL-UNNAMED -cp "$ggml_cp" dev.mica.bench.GgmlBench --model "$model" --libs "$ggml_libs" \
                -p "$prompt" -n "$gen" -t "$threads" -r "$reps" > "$out/ggml-$t-$r.json" 2> "$out/ggml-$t-$r.err"
            log "4. round $r, $t: MLX backend, same test"
            "$java" --enable-native-access=ALL-UNNAMED -cp "$mlx_cp" "$repo/bench/MlxBench.java" --model "$model" --libs "$mlx" \
                -p "$prompt" -n "$gen" -r "$reps" > "$out/mlx-$t-$r.json" 2> "$out/mlx-$t-$r.err"
        fi
        log "4. round $r, $t: mlx_ref, $steps decode steps after $ctx positions"
        "$out/mlx_ref" "$model" "$n_layer" 32 8 64 1e-5 500000 "$ctx" "$steps" > "$out/ref-$t-$r.txt" 2> "$out/ref-$t-$r.err"
        log "4. round $r, $t: MLX backend, the same steps"
        "$java" --enable-native-access=ALL-UNNAMED -cp "$mlx_cp" "$repo/bench/MlxBench.java" --model "$model" --libs "$mlx" \
            --steps "$steps" --ctx "$ctx" > "$out/step-$t-$r.json" 2> "$out/step-$t-$r.err"
    done
done

log "5. results ($out)"
cat "$out"/same-*.txt
python3 - "$out" "$threads" "$types" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" <<'PY' | tee "$out/table.txt"
import json, statistics, sys, glob, os
out, threads, types, cpu = sys.argv[1:5]
def runs(tool, t):
    res = {}
    for f in sorted(glob.glob(os.path.join(out, f"{tool}-{t}-*.json"))):
        for r in json.load(open(f)):
            test = f"pp{r['n_prompt']}" if r["n_prompt"] > 0 else f"tg{r['n_gen']}"
            n = r["n_prompt"] + r["n_gen"]
            res.setdefault(test, []).append(statistics.median(n * 1e9 / ns for ns in r["samples_ns"]))
    return res
print(f"CPU {cpu}; GGML {threads} thread(s), MLX its own; medians over rounds of each run's median")
print(f"{'type':<6} {'test':<7} {'ggml t/s':>9} {'mlx t/s':>8} {'mlx/ggml':>9}   runs (ggml | mlx)")
for t in types.split():
    g, m = runs("ggml", t), runs("mlx", t)
    for test in sorted(g, key=lambda s: (s[:2] != "pp", s)):
        gm, mm = statistics.median(g[test]), statistics.median(m.get(test, [float("nan")]))
        print(f"{t:<6} {test:<7} {gm:>9.2f} {mm:>8.2f} {mm / gm:>9.3f}   {' '.join(f'{v:.2f}' for v in g[test])} | {' '.join(f'{v:.2f}' for v in m.get(test, []))}")
print()
print(f"{'type':<6} {'decode step':<12} {'mlx_ref ms':>10} {'backend ms':>10} {'ref/backend':>12}   runs (ref | backend)")
for t in types.split():
    ref = [json.loads(open(f).read().splitlines()[-1])["median_ms"] for f in sorted(glob.glob(os.path.join(out, f"ref-{t}-*.txt")))]
    step = [1e3 / json.load(open(f))[0]["median_ts"] for f in sorted(glob.glob(os.path.join(out, f"step-{t}-*.json")))]
    if ref and step:
        rm, sm = statistics.median(ref), statistics.median(step)
        name = json.load(open(sorted(glob.glob(os.path.join(out, f"step-{t}-*.json")))[0]))[0]["test"]
        print(f"{t:<6} {name:<12} {rm:>10.2f} {sm:>10.2f} {rm / sm:>12.3f}   {' '.join(f'{v:.1f}' for v in ref)} | {' '.join(f'{v:.1f}' for v in step)}")
PY
