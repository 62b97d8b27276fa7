#!/usr/bin/env bash
# Puts llama.cpp's prebuilt shared libraries for this machine into <out>/<platform>/.
#
#   fetch-llama.sh <npm version> <out dir> <cache dir> <os.name> <os.arch>
#
# The libraries come from node-llama-cpp's per-platform npm packages (bins/<name>/*), which are
# plain llama.cpp builds with RUNPATH $ORIGIN. `npm pack` fetches a package as a tarball without
# installing anything; the tarball is cached, so later builds (and `mvn clean`) work offline.
# Running it twice is a no-op: a stamp file records which package the folder holds.
set -euo pipefail

if [[ $# -ne 5 ]]; then
    echo "usage: $0 <npm version> <out dir> <cache dir> <os.name> <os.arch>" >&2
    exit 2
fi
version=$1 out=$2 cache=$3 os_name=$4 os_arch=$5

# Platform folder names match MicaConfig.platform() in the kernel, which looks for natives there.
case "$os_name/$os_arch" in
    Linux/amd64 | Linux/x86_64) package=linux-x64 platform=linux-x64 ;;
    Linux/aarch64 | Linux/arm64) package=linux-arm64 platform=linux-arm64 ;;
    Mac*/aarch64 | Mac*/arm64) package=mac-arm64-metal platform=mac-arm64 ;;
    *)
        echo "ERROR: no prebuilt llama.cpp package is known for $os_name/$os_arch." >&2
        echo "       Build llama.cpp yourself (shared libraries) and point mica at it with" >&2
        echo "       -Dmica.llama.path=<dir> or MICA_LLAMA_PATH=<dir>." >&2
        exit 1 ;;
esac

spec="@node-llama-cpp/$package@$version"
dest="$out/$platform"
stamp="$dest/.npm-package"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$spec" ]]; then
    echo "llama.cpp natives up to date: $spec in $dest"
    exit 0
fi

tarball="$cache/node-llama-cpp-$package-$version.tgz"
# A truncated download (interrupted build) must not poison the cache.
if [[ -f "$tarball" ]] && ! tar -tzf "$tarball" > /dev/null 2>&1; then
    echo "discarding unreadable cached $tarball"
    rm -f "$tarball"
fi

if [[ ! -f "$tarball" ]]; then
    if ! command -v npm > /dev/null 2>&1; then
        echo "ERROR: npm is needed once to download $spec (about 11 MB) and was not found on PATH." >&2
        echo "       Install Node.js/npm, or put the package tarball at $tarball" >&2
        echo "       (from 'npm pack $spec' on another machine)." >&2
        exit 1
    fi
    mkdir -p "$cache"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "downloading $spec"
    # Run from the temporary folder so npm neither reads nor writes any package.json of ours.
    (cd "$work" && npm pack "$spec" --silent > /dev/null)
    packed=("$work"/*.tgz)
    if [[ ! -f "${packed[0]}" ]]; then
        echo "ERROR: npm pack $spec produced no tarball" >&2
        exit 1
    fi
    mv "${packed[0]}" "$tarball.partial"
    mv "$tarball.partial" "$tarball"
fi

unpack=$(mktemp -d)
trap 'rm -rf "$unpack" ${work:+"$work"}' EXIT
tar -xzf "$tarball" -C "$unpack"
bins=("$unpack"/package/bins/*/)
if [[ ! -d "${bins[0]}" ]]; then
    echo "ERROR: $tarball has no package/bins/<platform>/ folder" >&2
    exit 1
fi

rm -rf "$dest"
mkdir -p "$dest"
# Shared libraries only. Left out: llama-addon.node (node's binding) and libllama-common
# (C++ helpers without a C API, useless through FFM).
shopt -s nullglob
copied=0
for lib in "${bins[0]}"*.so "${bins[0]}"*.dylib "${bins[0]}"*.metal "${bins[0]}"*.metallib; do
    case "$(basename "$lib")" in
        libllama-common.*) continue ;;
    esac
    cp "$lib" "$dest/"
    copied=$((copied + 1))
done
if [[ $copied -eq 0 ]]; then
    echo "ERROR: no libraries found in ${bins[0]} of $tarball" >&2
    exit 1
fi
echo "$spec" > "$stamp"
echo "llama.cpp natives: $copied files from $spec in $dest"
