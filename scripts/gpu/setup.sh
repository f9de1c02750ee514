# Sourced by the prepared GPU scripts (scripts/gpu/*.sh) on a lent GPU machine, after `out` is set:
# installs the Vulkan loader from .gl/*.deb where the machine has none, points Vulkan at the NVIDIA
# driver, and logs the SM clock, power and utilisation every 100 ms to $out/clocks.csv while the
# script runs (a GPU idles down between short runs; BENCHMARKS.md). Defines kit LIMIT COMMAND…,
# which runs a packed terminal command (.gpu-kit/run.sh) for at most LIMIT seconds.
mkdir -p "$out"
if ! ldconfig -p | grep -q 'libvulkan.so.1' && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd}
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,utilization.gpu --format=csv -lms 100 > "$out/clocks.csv" 2>&1 &
clock_log=$!
trap 'kill $clock_log 2>/dev/null' EXIT
kit() { timeout "$1" bash .gpu-kit/run.sh "${@:2}"; }
