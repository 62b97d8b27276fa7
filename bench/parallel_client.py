#!/usr/bin/env python3
"""Concurrent streams against an OpenAI-compatible /v1/completions: aggregate decode tokens/s.

Used by bench/parallel-bench.sh for mica and for llama.cpp's llama-server alike, so both are
measured by the same client in the same way. Each of N streams asks for the same number of tokens
at temperature 0; every streamed chunk is time-stamped on arrival. The aggregate decode rate is
taken over the window in which all N streams were decoding: from the moment the last stream got
its first token (every prompt has been read by then) to the moment the first stream got its last
one. Tokens counted are the chunks that arrived inside that window, over all streams. Prompt
processing and the ragged start and end stay out of the figure.

Prints one JSON object: the window's aggregate tokens/s, the tokens and seconds it spans, the
per-stream token counts, and the whole run's tokens/s for reference.
"""
import argparse
import json
import threading
import time
import urllib.request


def stream(url, model, prompt, tokens, stamps, errors, index):
    body = json.dumps({"model": model, "prompt": prompt, "max_tokens": tokens, "temperature": 0,
                       "stream": True}).encode()
    request = urllib.request.Request(url + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            for raw in response:
                line = raw.decode("utf-8").strip()
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                choices = chunk.get("choices") or []
                if choices and choices[0].get("text"):
                    stamps[index].append(time.monotonic())
    except Exception as e:  # reported, and the run counts as failed
        errors.append(f"stream {index}: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--tokens", type=int, default=128)
    a = p.parse_args()

    stamps = [[] for _ in range(a.streams)]
    errors = []
    # Different prompts, so no stream can reuse another's prefix; similar lengths (a dozen tokens).
    prompts = [f"Story number {i}: once upon a time, in a land far away," for i in range(a.streams)]
    threads = [threading.Thread(target=stream, args=(a.url, a.model, prompts[i], a.tokens, stamps, errors, i))
               for i in range(a.streams)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.monotonic()
    if errors or any(len(s) < 2 for s in stamps):
        print(json.dumps({"error": errors or "a stream produced fewer than two chunks", "counts": [len(s) for s in stamps]}))
        raise SystemExit(1)

    window_start = max(s[0] for s in stamps)
    window_end = min(s[-1] for s in stamps)
    inside = sum(1 for s in stamps for t in s if window_start < t <= window_end)
    seconds = window_end - window_start
    total = sum(len(s) for s in stamps)
    print(json.dumps({
        "aggregate_tps": inside / seconds if seconds > 0 else 0.0,
        "window_tokens": inside,
        "window_seconds": seconds,
        "counts": [len(s) for s in stamps],
        "run_tps": total / (end - start),
    }))


if __name__ == "__main__":
    main()
