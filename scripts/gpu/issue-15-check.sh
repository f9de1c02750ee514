#!/usr/bin/env bash
# Issue 15's kernels on a real GPU, as one prepared script (see issue-12-targets.sh for carrying the
# kit: `bash ../shared/gpu-kit/pack.sh`, then bundle mlp and memory into it as below; carry .gpu-kit
# and .gl). Writes at most eight files under the folder it is given:
#   verify.txt    npm run verify: every built-in kernel, the four learned-score qk kernels and the
#                 elementwise activation kernel included
#   examples.txt  each broken example of issue 15 (score functions, activation) through the verifier,
#                 with the hint it got against the one it should get
#   mlp.txt, memory.txt   the MLP as attention and the key–value memory's hops, GPU against float64
#   sweep.txt, clocks.csv issue 12's N = 4096/8192 bend again, with the SM clock logged every 100 ms
# Bundling the two commands pack.sh does not know (from the project's root, here, after pack.sh):
#   ./node_modules/.bin/esbuild scripts/mlp.ts scripts/memory.ts --bundle --platform=node --format=esm \
#     --target=node20 --outdir=.gpu-kit/app/scripts --out-extension:.js=.mjs --external:webgpu \
#     --external:puppeteer --external:vite --external:lightningcss '--external:@tensorflow/*' \
#     "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"

{ echo "== verify"; kit 150 verify; echo "exit $?"; } > "$out/verify.txt" 2>&1
tail -5 "$out/verify.txt"
python3 - "$out/examples.txt" <<'PY'
import json, subprocess, sys
rows = []
for e in json.load(open('examples/kernels/index.json')):
    f = e['file']
    if not any(w in f for w in ('additive', 'general', 'activation')):
        continue
    args = ['timeout', '60', 'bash', '.gpu-kit/run.sh', 'verify', '--stage', e['stage'], f'examples/kernels/{f}', '--json']
    p = subprocess.run(args, capture_output=True, text=True)
    try:
        r = json.loads(p.stdout[p.stdout.index('{'):])['reports'][0]
        status, hints = r.get('status'), [h.get('id') for h in r.get('hints', [])]
    except Exception as ex:
        status, hints = f'unparsed ({p.returncode}): {p.stdout[-300:]!r} {p.stderr[-300:]!r}', []
    rows.append(f"{f}: {status}; hints {hints}; expected {e.get('expectedHint')}")
open(sys.argv[1], 'w').write('\n'.join(rows) + '\n')
print('\n'.join(rows))
PY
# An MLP layer of GPT-2-like proportions, small: 64 inputs of width 32, 128 hidden units, 16 outputs.
python3 - <<'PY'
import json, random
random.seed(15)
m = lambda r, c, s: [[round(random.gauss(0, s), 4) for _ in range(c)] for _ in range(r)]
for name, rows, cols, s in [('x', 64, 32, 1.0), ('w1', 128, 32, 0.2), ('w2', 16, 128, 0.1)]:
    json.dump(m(rows, cols, s), open(f'/tmp/mlp-{name}.json', 'w'))
PY
mlp=(mlp --x /tmp/mlp-x.json --w1 /tmp/mlp-w1.json --w2 /tmp/mlp-w2.json)
{ for a in relu gelu; do for v in naive tiled; do echo "== mlp $a $v"; kit 60 "${mlp[@]}" --activation $a --variant $v; echo "exit $?"; done; done
  echo "== mlp gelu, softmax back"; kit 60 "${mlp[@]}" --activation gelu --softmax; echo "exit $?"; } > "$out/mlp.txt" 2>&1
{ echo "== memory"; kit 60 memory; echo "exit $?"; } > "$out/memory.txt" 2>&1
tail -3 "$out/mlp.txt" "$out/memory.txt"
{ echo "== sweep"; kit 120 bench --node --n 4096,8192 --dk 64 --heads 8 --variants tiled,fused --repeats 5 --warmup 2 --no-plot --out /tmp/issue15-sweep; echo "exit $?"; } > "$out/sweep.txt" 2>&1
tail -12 "$out/sweep.txt"
