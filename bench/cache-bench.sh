#!/usr/bin/env bash
# The prefix cache: time to first token of a conversation whose 2,000-token system prompt another
# conversation computed already (warm), against the first conversation's (cold). A benchmark, not a
# test. Targets: warm / cold <= 0.05 on an attention model, <= 0.10 on a hybrid one (checkpoints).
#
# Usage:
#   bench/cache-bench.sh [options]
#
#   --threads N    compute threads (default: physical cores)
#   --system N     system prompt tokens, about (default 2000)
#   --rounds N     fresh system prompts, each asked cold then warm (default 5)
#   --hybrid       measure a hybrid instead: a synthetic Qwen3.5 with Qwen3.5-0.8B's layer shapes in
#                  Q8_0 (SyntheticModels --preset qwen35-0.8b), resumed through checkpoints
#   --model FILE   a GGUF to measure (default: the synthetic Llama-3.2-1B-shaped Q4_K_M model of
#                  bench/llama-bench.sh, attention only)
#   --cache DIR    llama.cpp build and models (default $MICA_BENCH_CACHE or ~/.cache/mica/bench)
#
# Steps:
#   1. The model: bench/llama-bench.sh --only-build writes the synthetic 1B one; --hybrid writes the
#      synthetic Qwen3.5 with the gguf module's jar (reused when present).
#   2. mica serve from distribution/target/mica on a free loopback port (GGML backend, one decoding
#      sequence, num_ctx 4096), the model created, one warm-up request.
#   3. bench/cache_client.py: per round a fresh system prompt, conversation A (cold) then B (warm),
#      time to first streamed token at the client.
#   4. Prints each round and the medians; JSON in <cache>/results/cache-<timestamp>/.
# Needs: a built distribution (./mvnw -q -B install -DskipTests), python3, curl.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[[ $threads -ge 1 ]] || threads=$(nproc)
system=2000 rounds=5 model= hybrid=
cache=${MICA_BENCH_CACHE:-$HOME/.cache/mica/bench}

while [[ $# -gt 0 ]]; do
    case $1 in
        --threads) threads=$2; shift 2 ;;
        --system) system=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --hybrid) hybrid=1; shift ;;
        --model) model=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

source "$repo/bench/common.sh"

if [[ -z $model && -n $hybrid ]]; then
    mkdir -p "$cache/models"
    model=$(cd "$cache" && pwd)/models/synthetic-qwen35-0.8b-q8_0.gguf
    if [[ ! -f $model ]]; then
        log "1. the synthetic Qwen3.5 hybrid (SyntheticModels --preset qwen35-0.8b)"
        gguf=$(ls "$repo"/bundles/gguf/target/mica-gguf-*.jar | grep -v sources | head -1)
        "$JAVA_HOME/bin/java" -cp "$gguf" dev.mica.gguf.SyntheticModels --preset qwen35-0.8b --type q8_0 --out "$model" >&2
    fi
fi
if [[ -z $model ]]; then
    log "1. the synthetic 1B model (bench/llama-bench.sh --only-build)"
    "$repo/bench/llama-bench.sh" --only-build --cache "$cache" --quant Q4_K_M >&2
    model=$(cd "$cache" && pwd)/models/synthetic-llama-1b-q4_k_m.gguf
fi
mkdir -p "$cache"
out=$(cd "$cache" && pwd)/results/cache-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
home=$(mktemp -d)
pid=
stop() {
    if [[ -n $pid ]]; then kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; fi
    rm -rf "$home"
}
trap stop EXIT

log "2. mica serve on 127.0.0.1:$port ($threads threads), model $model"
MICA_MODELS=$home/models MICA_HOST=127.0.0.1:$port MICA_CDS_DIR=$home/cds \
    MICA_JAVA_OPTS="-Dmica.num_parallel=1 -Dmica.num_thread=$threads -Dmica.backends=ggml -Dmica.deploy=$home/deploy" \
    "$mica" serve > "$out/mica.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 120))
until curl -sf "http://127.0.0.1:$port/api/version" > /dev/null 2>&1; do
    [[ $SECONDS -lt $deadline ]] || { echo "mica did not start; see $out/mica.log" >&2; exit 1; }
    sleep 0.5
done
curl -sf "http://127.0.0.1:$port/api/create" -d "{\"model\":\"bench\",\"from\":\"$model\",\"stream\":false}" > /dev/null
curl -sf "http://127.0.0.1:$port/api/generate" -d '{"model":"bench","prompt":"warm up","stream":false,"options":{"num_predict":4,"num_ctx":4096}}' > /dev/null

log "3. $rounds rounds: a ${system}-token system prompt, cold then warm"
python3 "$repo/bench/cache_client.py" --url "http://127.0.0.1:$port" --model bench --system "$system" --rounds "$rounds" | tee "$out/result.json"
curl -sf "http://127.0.0.1:$port/api/mica/cache" > "$out/cache-report.json" || true

python3 - "$out/result.json" "$model" "$threads" << 'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"\nmodel {sys.argv[2]}, {sys.argv[3]} threads")
print(f"median time to first token: cold {r['cold_ttft_median_s'] * 1000:.1f} ms, warm {r['warm_ttft_median_s'] * 1000:.1f} ms")
print(f"warm / cold: {r['ratio_of_medians']:.4f} (ratio of medians), {r['median_ratio']:.4f} (median of per-round ratios)")
PY
