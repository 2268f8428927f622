#!/usr/bin/env bash
# npm run bench:gpu-local: the device command (bench/gpu/device-command.sh, the same text) run here, on this
# machine's CPU Vulkan driver (SwiftShader), from a copy of .gpu/ alone in an empty folder under /tmp: no
# source tree, no node_modules and not this machine's Node, so it shows that the bundle is self-contained.
# Differences from the device, all through the command's own hooks: DEB_ROOT unpacks the carried Vulkan
# loader into the temporary folder (loaded through LD_LIBRARY_PATH) instead of /, BENCH_ARGS is --quick
# (override it: BENCH_ARGS="--quick --max-seconds 60" npm run bench:gpu-local), and the results go to
# .gpu-out/local/ instead of the device's $OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$ROOT/.gpu/bench.mjs" ] || { echo "no bundle in $ROOT/.gpu: run npm run bench:gpu-bundle first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/webgpu-vi-gpu-local.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r "$ROOT/.gpu" "$WORK/.gpu"
OUT_DIR="$ROOT/.gpu-out/local"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR" "$WORK/debroot"
COMMAND=$(grep -v '^#' "$ROOT/bench/gpu/device-command.sh" | tr '\n' ' ')
cd "$WORK"
echo "running the device command in $WORK (only .gpu/ there), OUT=$OUT_DIR"
env -i HOME="$WORK" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/tmp \
  OUT="$OUT_DIR" DEB_ROOT="$WORK/debroot" BENCH_ARGS="${BENCH_ARGS:---quick}" \
  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
  bash -c "$COMMAND"
echo "results in $OUT_DIR:"
ls -l "$OUT_DIR"
