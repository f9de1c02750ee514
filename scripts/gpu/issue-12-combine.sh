#!/usr/bin/env bash
# Issue 12 on a real GPU, the sixteenth session's last run (about 90 s): the split-KV combine after it
# began reading the splits 8 at a time (loads in flight together; the same arithmetic, the same
# bits) — on the H200 the combine had taken 0.031 of a decode row's 0.099 ms at m = 32768 — with
# the forced split counts that a cheaper combine might now favour, and f16 storage's prefill in the
# new default form (128 rows, no pairs). Make the kit first: `bash scripts/gpu/prepare.sh`; carry
# .gpu-kit (and .gl); run
#   bash scripts/gpu/issue-12-combine.sh "$OUT"
# Writes verify.txt (the combine stage), decode.txt, decode.card.json, prefill.txt, clocks.csv.
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
{ echo "== verify combine"; kit 60 verify --stage combine; echo "exit $?"; } > "$out/verify.txt" 2>&1
grep -aE '^(PASS|FAIL|exit|==)' "$out/verify.txt"
common=(--node --n 64 --dk 64 --causal --repeats 5 --warmup 2 --no-plot)
{ echo "== decode 8 heads on 2"; kit 100 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 4096,32768 \
    --variants fused,fused-unshared,fused-128splits,fused-256splits --baseline fused --out /tmp/i12-decode --card "$out/decode.card.json"
  echo "exit $?"
  echo "== decode 32 heads on 8"; kit 60 bench "${common[@]}" --heads 32 --kv-heads 8 --decode 32768 \
    --variants fused,fused-256splits --baseline fused --out /tmp/i12-heads; echo "exit $?"; } > "$out/decode.txt" 2>&1
grep -avE '^\[' "$out/decode.txt" | grep -aE '^(==|[0-9]|roofline|exit|note: Clock)'
{ echo "== prefill f16"; kit 90 bench --node --n 4096,8192 --dk 64 --heads 8 --variants fused,fused-f16 --baseline fused \
    --repeats 3 --warmup 1 --no-plot --out /tmp/i12-f16; echo "exit $?"; } > "$out/prefill.txt" 2>&1
grep -avE '^\[' "$out/prefill.txt" | grep -aE '^(==|[0-9]|roofline|exit)'
