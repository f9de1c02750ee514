/**
 * npm run mlp -- --x X.npy --w1 W1.npy --w2 W2.npy [--activation relu|gelu] [--softmax]
 *   [--variant naive|tiled] [--json]
 *
 * The MLP as attention (src/core/mlp.ts): y = W₂·φ(W₁x) per row of x in float64 (the MLP form), and
 * the same problem run by the GPU kernels as attention with Q = x, K = W₁, V = W₂ᵀ, score dot, scale
 * none, φ instead of the softmax (the attention form); prints both and whether they agree within the
 * derived tolerance. --softmax puts the softmax back: the attention form then normalises each row
 * and no longer computes the MLP (the command says by how much).
 * x is n×d, W₁ hidden×d, W₂ dout×hidden. Exit codes: 0 the forms agree (with --softmax: the GPU
 * agrees with its float64 reference), 1 they do not, 2 bad input, 3 no WebGPU adapter.
 */
import { parseMatrix } from '../src/core/io';
import { describeActivation } from '../src/core/activation';
import type { MlpActivation } from '../src/core/mlp';
import { checkMlp, MLP_ACTIVATIONS, mlpAsAttention, mlpAttentionOptions } from '../src/core/mlp';
import { checkMlpForms } from '../src/core/mlp-check';
import type { Matrix } from '../src/core/tensor';
import { float32Matrix } from '../src/core/tensor';
import { AttentionEngine } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { EXIT, main, openDevice, parseFlags, readInput, required, UsageError } from './lib/cli';

const USAGE = `usage: npm run mlp -- --x X.npy --w1 W1.npy --w2 W2.npy [--activation relu|gelu] [--softmax]
       [--variant naive|tiled] [--json]
x: n×d inputs (one per row), W₁: hidden×d, W₂: dout×hidden; y = W₂·φ(W₁x) (default φ: relu)
The attention form: Q = x, K = W₁, V = W₂ᵀ, score dot, scale none, φ elementwise instead of the softmax.
--softmax: put the softmax back (the attention form then normalises each row and no longer is the MLP)
inputs: 2-D float32 .npy, or .json nested arrays, or .csv`;

function readMatrix(path: string, role: string): Matrix {
  const bytes = readInput(path, role);
  // The file's values as float32, as the GPU takes them (the float64 reference reads the same).
  return float32Matrix(
    parseMatrix(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, path, `${role} (${path})`),
  );
}

function parseCommandLine(argv: string[]) {
  const parsed = parseFlags({
    args: argv,
    options: {
      x: { type: 'string' },
      w1: { type: 'string' },
      w2: { type: 'string' },
      activation: { type: 'string' },
      softmax: { type: 'boolean' },
      variant: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values;
  if (parsed.help) return null;
  const activation = parsed.activation ?? 'relu';
  if (!MLP_ACTIVATIONS.some((a) => a === activation))
    throw new UsageError(`--activation must be one of ${MLP_ACTIVATIONS.join(', ')}, got "${activation}"`);
  const variant = parsed.variant ?? 'tiled';
  if (variant !== 'naive' && variant !== 'tiled')
    throw new UsageError(`--variant must be naive or tiled (the fused variant has only an online softmax), got "${variant}"`);
  return {
    paths: { x: required(parsed.x, 'x'), w1: required(parsed.w1, 'w1'), w2: required(parsed.w2, 'w2') },
    activation: activation as MlpActivation,
    softmax: parsed.softmax ?? false,
    variant: variant as 'naive' | 'tiled',
    json: parsed.json ?? false,
  };
}

const row = (data: ArrayLike<number>, r: number, cols: number) =>
  Array.from({ length: cols }, (_, c) => Number(data[r * cols + c]).toPrecision(6)).join(' ');

async function mlp(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const weights = { x: readMatrix(cli.paths.x, 'x'), w1: readMatrix(cli.paths.w1, 'W₁'), w2: readMatrix(cli.paths.w2, 'W₂') };
  const shape = checkMlp(weights);
  const { device, adapter } = await openDevice();
  try {
    const engine = new AttentionEngine(device, loadShaderLibrary());
    const result = await engine.run(mlpAsAttention(weights), mlpAttentionOptions(cli.activation, cli.softmax), {
      variant: cli.variant,
      intermediates: true,
    });
    const check = checkMlpForms(weights, cli.activation, { ...result, output: result.output.data }, cli.softmax);
    const pass = cli.softmax ? check.attention.pass : check.attention.pass && check.forms.pass;
    if (cli.json) {
      console.log(
        JSON.stringify({
          pass,
          formsAgree: check.forms.pass,
          gpuMatchesReference: check.attention.pass,
          float64Gap: check.float64Gap,
          activation: cli.activation,
          softmax: cli.softmax,
          shape,
          variant: cli.variant,
          adapter,
          mlp: Array.from(check.mlp.data),
          attention: Array.from(result.output.data),
          forms: check.forms,
        }),
      );
      return pass ? EXIT.ok : EXIT.failed;
    }
    const phi = describeActivation(cli.activation);
    console.log(`MLP n=${shape.n} d=${shape.d} hidden=${shape.hidden} dout=${shape.dout} φ=${phi} variant=${cli.variant} on ${adapter}`);
    console.log(
      `attention form: Q = x, K = W₁, V = W₂ᵀ, score dot, scale none, ${cli.softmax ? 'the softmax (put back)' : `${phi} elementwise, no normalisation`}`,
    );
    for (let r = 0; r < shape.n; r++) {
      console.log(`row ${r}  MLP form (float64):      ${row(check.mlp.data, r, shape.dout)}`);
      console.log(`row ${r}  attention form (GPU):    ${row(result.output.data, r, shape.dout)}`);
    }
    const worst = check.forms.firstBad ?? check.forms.worst;
    const where = worst
      ? ` (worst [${worst.position.slice(1).join(',')}]: ${worst.actual} vs ${worst.expected}, tolerance ${worst.tolerance.toExponential(2)})`
      : '';
    console.log(`GPU vs its float64 reference: ${check.attention.pass ? 'PASS' : 'FAIL'}`);
    if (cli.softmax) {
      console.log(
        `with the softmax back the forms differ by up to ${check.float64Gap.toPrecision(4)}: the softmax divides each row of weights by its sum, so the output is a weighted average of W₂'s columns, not the MLP`,
      );
    } else {
      console.log(`float64 attention form vs MLP form: largest difference ${check.float64Gap.toExponential(2)} (rounding)`);
      console.log(check.forms.pass ? `the two forms agree within tolerance${where}` : `the two forms DISAGREE${where}`);
    }
    return pass ? EXIT.ok : EXIT.failed;
  } finally {
    device.destroy();
  }
}

await main(mlp, { usage: USAGE });
