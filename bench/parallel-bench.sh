#!/usr/bin/env bash
# mica vs llama.cpp's llama-server: aggregate decode speed of N concurrent streams (continuous
# batching), on the synthetic Llama-3.2-1B-shaped Q4_K_M model of bench/llama-bench.sh. A benchmark,
# not a test.
#
# Usage:
#   bench/parallel-bench.sh [options]
#
#   --threads N    compute threads for both servers (default: physical cores)
#   --streams N    concurrent streams; llama-server gets N slots, mica mica.num_parallel=N (default 8)
#   --tokens N     tokens each stream asks for, at temperature 0 (default 128)
#   --ctx N        context per stream; llama-server gets -c N*streams, mica num_ctx N (default 512)
#   --rounds N     alternations llama-server, mica, llama-server, mica ... (default 2)
#   --quant TYPE   the model's quantization, as bench/llama-bench.sh makes it (default Q4_K_M)
#   --cache DIR    llama.cpp build and models (default $MICA_BENCH_CACHE or ~/.cache/mica/bench)
#   --mica-libs D  the llama.cpp libraries mica loads: a folder, or "native" for the build llama-server
#                  runs on (default: the distribution's prebuilt libraries)
#   --kv LIST      KV layouts to compare, each run by both servers (default "split"):
#                  split    a KV stream per sequence: llama-server's layout with -np N (its default
#                           there), mica with mica.kv_unified=false
#                  unified  one KV memory for all sequences: llama-server -kvu (its default when
#                           -np is left to it), mica's default
#
# Steps:
#   1. bench/llama-bench.sh --only-build: llama.cpp from source and the model, reused when present.
#   2. llama-server: configured with -DLLAMA_BUILD_SERVER=ON in the same build folder and built
#      (target llama-server only); reused when present.
#   3. Per round, each server in turn on a free loopback port: start, load the model, one warm-up
#      run (the same client, 16 tokens), the measured run, stop. The client is bench/parallel_client.py:
#      N streams of /v1/completions at once (different prompts of about a dozen tokens), every
#      streamed chunk time-stamped; the aggregate decode rate is the chunks that arrived while all N
#      streams were decoding, divided by that window's length (prompts and the ragged ends excluded).
#   4. Prints both servers' rates per round and layout, the medians and mica / llama.cpp per layout.
#
# mica runs from distribution/target/mica (build it first: ./mvnw -q -B install -DskipTests).
# Results (every run's JSON and the table) go to <cache>/results/parallel-<timestamp>/.
# Needs: the llama-bench.sh prerequisites, python3, curl.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[[ $threads -ge 1 ]] || threads=$(nproc)
streams=8 tokens=128 ctx=512 rounds=2 quant=Q4_K_M layouts=split
cache=${MICA_BENCH_CACHE:-$HOME/.cache/mica/bench}
mica_libs=

while [[ $# -gt 0 ]]; do
    case $1 in
        --threads) threads=$2; shift 2 ;;
        --streams) streams=$2; shift 2 ;;
        --tokens) tokens=$2; shift 2 ;;
        --ctx) ctx=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --quant) quant=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --mica-libs) mica_libs=$2; shift 2 ;;
        --kv) layouts=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

source "$repo/bench/common.sh"

# ---------------------------------------------------------------- 1. llama.cpp and the model
log "1. llama.cpp and the model (bench/llama-bench.sh --only-build)"
"$repo/bench/llama-bench.sh" --only-build --cache "$cache" --quant "$quant" >&2
cache=$(cd "$cache" && pwd)
model=$cache/models/synthetic-llama-1b-${quant,,}.gguf
build=$cache/llama.cpp/build
server=$build/bin/llama-server

# ---------------------------------------------------------------- 2. llama-server
if [[ -x $server ]]; then
    log "2. llama-server: reusing $server"
else
    log "2. llama-server: building it in $build"
    cmake -S "$cache/llama.cpp" -B "$build" -DLLAMA_BUILD_SERVER=ON > "$cache/server-cmake.log" 2>&1
    cmake --build "$build" --config Release -j 2 --target llama-server > "$cache/server-build.log"
fi
llama_commit=$(git -C "$cache/llama.cpp" log -1 --format=%h 2>/dev/null || echo unknown)
[[ $mica_libs == native ]] && mica_libs=$build/bin
libs_opt=${mica_libs:+-Dmica.llama.path=$mica_libs}

# ---------------------------------------------------------------- 3. rounds
out=$cache/results/parallel-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { # url, seconds
    local deadline=$((SECONDS + $2))
    until curl -sf "$1" > /dev/null 2>&1; do
        [[ $SECONDS -lt $deadline ]] || { echo "timed out waiting for $1" >&2; return 1; }
        sleep 0.5
    done
}
client() { python3 "$repo/bench/parallel_client.py" --url "$1" --model "$2" --streams "$streams" --tokens "$3"; }
pid=
stop() { # a server ended by SIGTERM exits non-zero: that is not a failure here
    if [[ -n $pid ]]; then
        kill "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    fi
    pid=
}
trap stop EXIT

run_llama() { # round, layout
    local port; port=$(free_port)
    local kvu=; [[ $2 == unified ]] && kvu=-kvu
    "$server" -m "$model" --host 127.0.0.1 --port "$port" -t "$threads" -tb "$threads" -np "$streams" -c $((ctx * streams)) \
        -ngl 0 $kvu > "$out/llama-server-$2-$1.log" 2>&1 &
    pid=$!
    wait_for "http://127.0.0.1:$port/health" 300
    client "http://127.0.0.1:$port" bench 16 > /dev/null
    client "http://127.0.0.1:$port" bench "$tokens" | tee "$out/llama-$2-$1.json"
    stop
}

run_mica() { # round, layout
    local port; port=$(free_port)
    local home; home=$(mktemp -d)
    local unified=true; [[ $2 == split ]] && unified=false
    MICA_MODELS=$home/models MICA_HOST=127.0.0.1:$port MICA_CDS_DIR=$home/cds \
        MICA_JAVA_OPTS="-Dmica.num_parallel=$streams -Dmica.num_thread=$threads -Dmica.kv_unified=$unified -Dmica.backends=ggml -Dmica.deploy=$home/deploy $libs_opt" \
        "$mica" serve > "$out/mica-$2-$1.log" 2>&1 &
    pid=$!
    wait_for "http://127.0.0.1:$port/api/version" 120
    curl -sf "http://127.0.0.1:$port/api/create" -d "{\"model\":\"bench\",\"from\":\"$model\",\"parameters\":{\"num_ctx\":$ctx},\"stream\":false}" > /dev/null
    client "http://127.0.0.1:$port" bench 16 > /dev/null
    client "http://127.0.0.1:$port" bench "$tokens" | tee "$out/mica-$2-$1.json"
    stop
    rm -rf "$home"
}

for layout in $layouts; do
    [[ $layout == split || $layout == unified ]] || { echo "--kv takes split and/or unified, not $layout" >&2; exit 2; }
done
for round in $(seq 1 "$rounds"); do
    for layout in $layouts; do
        log "3. round $round/$rounds, $layout KV: llama-server ($streams slots, $threads threads)"
        run_llama "$round" "$layout"
        log "3. round $round/$rounds, $layout KV: mica (num_parallel $streams, $threads threads)"
        run_mica "$round" "$layout"
    done
done

# ---------------------------------------------------------------- 4. table
python3 - "$out" "$rounds" "$streams" "$tokens" "$threads" "$llama_commit" $layouts << 'EOF' | tee "$out/table.md"
import json, statistics, sys
out, rounds, streams, tokens, threads, commit, *layouts = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
print(f"{streams} streams x {tokens} tokens, {threads} threads, llama.cpp {commit}: aggregate decode tokens/s while all streams decode\n")
print("| KV | round | llama-server t/s | mica t/s | mica / llama.cpp |")
print("|----|------:|-----------------:|---------:|-----------------:|")
for layout in layouts:
    rows = []
    for r in range(1, rounds + 1):
        l = json.load(open(f"{out}/llama-{layout}-{r}.json"))
        m = json.load(open(f"{out}/mica-{layout}-{r}.json"))
        rows.append((r, l["aggregate_tps"], m["aggregate_tps"], l["window_tokens"], m["window_tokens"]))
    for r, l, m, lt, mt in rows:
        print(f"| {layout} | {r} | {l:.2f} ({lt} tokens) | {m:.2f} ({mt} tokens) | {m / l:.3f} |")
    lm = statistics.median(r[1] for r in rows)
    mm = statistics.median(r[2] for r in rows)
    print(f"| {layout} | median | {lm:.2f} | {mm:.2f} | {mm / lm:.3f} |")
EOF
