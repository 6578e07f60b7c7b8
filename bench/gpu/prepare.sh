#!/usr/bin/env bash
# Builds .device/ (git-ignored), everything bench/gpu/run.sh needs on the GPU machine, which has no
# network and nothing of ours installed (../shared/GPU.md): the deno binary (xz), the bundled
# bench/gpu/gpu_bench.ts and its gradient worker, tests/tensor/gradients_test.ts bundled (the
# webgpu gradient checks), and the wasm backend's binaries. Unless --no-gl, also the Vulkan loader
# and GL libraries as Debian packages in .gl/ (downloaded once with apt-get; needs the network).
#
# usage: bench/gpu/prepare.sh [--no-gl] [--xz-level N]   (N: xz preset, default 6; 0 is fast)
# Carry: .device (and .gl) with the run tool; the run then starts with `bash bench/gpu/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
GL=1
XZ=6
while [ $# -gt 0 ]; do
  case "$1" in
    --no-gl) GL=0; shift ;;
    --xz-level) XZ=$2; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "prepare.sh: unknown argument '$1' (--no-gl, --xz-level N)" >&2; exit 2 ;;
  esac
done
[[ "$XZ" =~ ^[0-9]$ ]] || { echo "prepare.sh: --xz-level must be 0-9, got '$XZ'" >&2; exit 2; }
command -v deno > /dev/null || { echo "prepare.sh: deno is not on PATH" >&2; exit 1; }
mkdir -p .device/wasm
bin=$(readlink -f "$(command -v deno)")
if [ ! -f .device/deno.xz ] || [ "$bin" -nt .device/deno.xz ] || [ "$(cat .device/deno.level 2> /dev/null)" != "$XZ" ]; then
  xz -T2 "-$XZ" -c "$bin" > .device/deno.xz
  echo "$XZ" > .device/deno.level
fi
deno --version | head -1 > .device/deno.version
deno bundle --quiet --platform=deno -o .device/gpu_bench.js bench/gpu/gpu_bench.ts
deno bundle --quiet --platform=deno -o .device/gpu_worker.js bench/gpu/worker.ts
deno bundle --quiet --platform=deno -o .device/gradients_test.js tests/tensor/gradients_test.ts
wasm_dir=$(deno eval --quiet 'import { wasmDistUrl } from "./lib/deps/tf.ts"; console.log(new URL(wasmDistUrl).pathname)')
cp "$wasm_dir"/*.wasm .device/wasm/
if [ "$GL" = 1 ]; then
  grep -qx '/.gl/' .git/info/exclude 2> /dev/null || echo /.gl/ >> .git/info/exclude
  if ! ls .gl/libvulkan1_*.deb > /dev/null 2>&1; then
    mkdir -p .gl /tmp/amd64/partial
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    apt-get "${o[@]}" update -qq
    (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  fi
fi
du -sh .device $([ "$GL" = 1 ] && echo .gl) | sed 's/^/prepare.sh: /'
total=$(du -sbc .device $([ "$GL" = 1 ] && echo .gl) | tail -1 | cut -f1)
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
  echo "prepare.sh: .device and .gl hold $((total / 1048576)) MiB; the run tool carries 64 MiB with the tree" >&2
  exit 1
fi
