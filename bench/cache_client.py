#!/usr/bin/env python3
"""Warm vs cold time to first token through mica's prefix cache (bench/cache-bench.sh runs it).

Per round a fresh system prompt of about --system tokens (random words, so nothing of it is cached):
conversation A asks first (cold: the whole prompt is computed), then conversation B with the same
system prompt and another question (warm: the system prompt comes from the cache). Time to first
token is taken at the client, from sending the request to the first streamed chunk of /api/chat.
Prints one JSON object: per round the two times and prompt_eval_count, and the medians.
"""
import argparse, json, random, statistics, sys, time, urllib.error, urllib.request

WORDS = ("river stone lantern quiet harbor meadow copper violet thunder orchard pebble whisper cedar "
         "falcon ember glacier saffron marble willow compass horizon velvet canyon juniper tide beacon "
         "thistle cobalt prairie summit ivory drizzle harvest crimson ripple aurora fern basalt").split()


def chat(url, model, messages, num_ctx):
    body = json.dumps({"model": model, "messages": messages, "stream": True,
                       "options": {"temperature": 0, "num_predict": 1, "num_ctx": num_ctx}}).encode()
    req = urllib.request.Request(url + "/api/chat", data=body, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    first = None
    last = {}
    try:
        r = urllib.request.urlopen(req, timeout=600)
    except urllib.error.HTTPError as e:
        sys.exit(f"mica answered {e.code}: {e.read().decode(errors='replace')}")
    with r:
        for line in r:
            if not line.strip():
                continue
            if first is None:
                first = time.perf_counter() - t0
            last = json.loads(line)
    if "error" in last:
        sys.exit("mica answered with an error: " + last["error"])
    return first, last.get("prompt_eval_count", 0), last


def system_prompt(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--system", type=int, default=2000, help="system prompt tokens (about)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--num-ctx", type=int, default=4096)
    a = p.parse_args()
    rng = random.Random(7)
    # calibrate words per token on this model's tokenizer
    _, probe_tokens, _ = chat(a.url, a.model, [{"role": "system", "content": system_prompt(rng, 400)},
                                                {"role": "user", "content": "hello"}], a.num_ctx)
    words = max(1, int(400 * a.system / max(1, probe_tokens)))
    rounds = []
    for r in range(a.rounds):
        system = system_prompt(rng, words)
        sys_msg = {"role": "system", "content": system}
        cold, cold_eval, _ = chat(a.url, a.model, [sys_msg, {"role": "user", "content": f"Round {r}: tell me about the river."}], a.num_ctx)
        warm, warm_eval, _ = chat(a.url, a.model, [sys_msg, {"role": "user", "content": f"Round {r}: and what of the harbor?"}], a.num_ctx)
        rounds.append({"round": r + 1, "cold_ttft_s": cold, "warm_ttft_s": warm, "cold_prompt_eval": cold_eval,
                       "warm_prompt_eval": warm_eval, "ratio": warm / cold})
        print(f"round {r + 1}: cold {cold * 1000:.1f} ms ({cold_eval} tokens computed), warm {warm * 1000:.1f} ms "
              f"({warm_eval} computed), warm/cold {warm / cold:.4f}", file=sys.stderr)
    cold_m = statistics.median(x["cold_ttft_s"] for x in rounds)
    warm_m = statistics.median(x["warm_ttft_s"] for x in rounds)
    print(json.dumps({"rounds": rounds, "cold_ttft_median_s": cold_m, "warm_ttft_median_s": warm_m,
                      "ratio_of_medians": warm_m / cold_m, "median_ratio": statistics.median(x["ratio"] for x in rounds)}))


if __name__ == "__main__":
    main()
