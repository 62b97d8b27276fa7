#!/usr/bin/env bash
# Puts llama.cpp's tokenizer test vectors for four vocabularies into <out dir>:
# ggml-vocab-{llama-spm,llama-bpe,qwen2,gpt-2}.gguf with their .gguf.inp (inputs) and .gguf.out
# (llama.cpp's token ids).
#
#   fetch-vocab.sh <node-llama-cpp version> <out dir> <cache dir>
#
# They come from the llama.cpp source that the node-llama-cpp npm package carries as a git bundle
# (package/llama/gitRelease.bundle): the same llama.cpp as the prebuilt libraries mica ships. The
# package tarball (about 36 MB) is cached in <cache dir>, so later builds (and `mvn clean`) work
# offline. Running it again is a no-op while all twelve files are there.
set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 <node-llama-cpp version> <out dir> <cache dir>" >&2
    exit 2
fi
version=$1 out=$2 cache=$3

vocabs=(llama-spm llama-bpe qwen2 gpt-2)
files=()
for v in "${vocabs[@]}"; do
    files+=("ggml-vocab-$v.gguf" "ggml-vocab-$v.gguf.inp" "ggml-vocab-$v.gguf.out")
done

missing=0
for f in "${files[@]}"; do
    [[ -s "$out/$f" ]] || missing=1
done
if [[ $missing -eq 0 ]]; then
    echo "llama.cpp tokenizer vectors present in $out"
    exit 0
fi

spec="node-llama-cpp@$version"
tarball="$cache/node-llama-cpp-$version.tgz"
# A truncated download (interrupted build) must not poison the cache.
if [[ -f "$tarball" ]] && ! tar -tzf "$tarball" > /dev/null 2>&1; then
    echo "discarding unreadable cached $tarball"
    rm -f "$tarball"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ ! -f "$tarball" ]]; then
    if ! command -v npm > /dev/null 2>&1; then
        echo "ERROR: npm is needed once to download $spec (about 36 MB) and was not found on PATH." >&2
        echo "       Install Node.js/npm, put the tarball at $tarball ('npm pack $spec'), or build" >&2
        echo "       with -Dmica.vocab.skip=true (the tokenizer vector tests then skip)." >&2
        exit 1
    fi
    mkdir -p "$cache"
    echo "downloading $spec"
    # Run from the temporary folder so npm neither reads nor writes any package.json of ours.
    (cd "$work" && npm pack "$spec" --silent > /dev/null)
    packed=("$work"/node-llama-cpp-*.tgz)
    if [[ ! -f "${packed[0]}" ]]; then
        echo "ERROR: npm pack $spec produced no tarball" >&2
        exit 1
    fi
    mv "${packed[0]}" "$tarball.partial"
    mv "$tarball.partial" "$tarball"
fi

if ! command -v git > /dev/null 2>&1; then
    echo "ERROR: git is needed to read llama.cpp's source out of $tarball" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/llama/gitRelease.bundle
# A bare clone reads the files straight out of the history, without checking out the whole tree.
git clone -q --bare "$work/package/llama/gitRelease.bundle" "$work/llama.git"

mkdir -p "$out"
for f in "${files[@]}"; do
    git --git-dir="$work/llama.git" show "HEAD:models/$f" > "$out/$f.partial"
    mv "$out/$f.partial" "$out/$f"
done
echo "llama.cpp tokenizer vectors: ${#files[@]} files from $spec in $out"
