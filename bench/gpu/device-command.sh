# The device command for issue 15: what bench/gpu/README.md tells the device tool's `run` to execute, with
# carry [".gpu"] and timeout_s 300 (a run of at most ~4.5 min, so a rerun fits in the 15 minutes). The lines
# below that are not comments, joined, are the command (at most 2000 characters; npm run bench:gpu-bundle
# checks that and that the README quotes it). bench/gpu/local.sh runs the same text here on SwiftShader,
# setting DEB_ROOT (unpack the carried Vulkan loader outside /) and BENCH_ARGS (--quick).
set -o pipefail; OUT=$(cd "$OUT" && pwd) || exit 1; W=$(mktemp -d); cp -r .gpu "$W/" && cd "$W" || exit 1; R=${DEB_ROOT:-/};
if [ "$R" != / ] || ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then for f in .gpu/deb/*.deb; do dpkg -x "$f" "$R"; done; if [ "$R" = / ]; then ldconfig; else export LD_LIBRARY_PATH="$R/usr/lib/x86_64-linux-gnu"; fi; fi;
unxz() { xz -dc "$1" > "$2" || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; };
N=$W/node; D=.gpu/node_modules/webgpu/dist/linux-x64/dawn.node; unxz .gpu/node.xz "$N" && chmod +x "$N" && unxz "$D.xz" "$D" || exit 1; "$N" --version;
ldconfig -p | grep -i libvulkan; ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null;
command -v nvidia-smi > /dev/null && (nvidia-smi --query-gpu=timestamp,name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu --format=csv -lms 500 > "$OUT/nvidia-smi.csv" 2>&1 &);
"$N" .gpu/bench.mjs --probe || { for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do [ -e "$f" ] && export VK_DRIVER_FILES="$f" VK_ICD_FILENAMES="$f" && break; done; echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"; };
timeout 270 "$N" .gpu/bench.mjs --out "$OUT" ${BENCH_ARGS:---require-gpu --max-seconds 220} 2>&1 | tee "$OUT/log.txt"
