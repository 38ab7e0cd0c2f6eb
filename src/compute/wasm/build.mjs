// Compiles resample.as.ts (AssemblyScript) to WebAssembly and writes it, base64, into resample.wasm.ts, so the
// TypeScript build, vitest and the benchmarks all load it without copying assets. `npm run build:wasm`;
// test/compute/resample.test.ts checks the committed module is what this source compiles to.
import asc from 'assemblyscript/asc';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

export async function compileResample() {
  let wasm;
  const { error, stderr } = await asc.main(
    [here('./resample.as.ts'), '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--outFile', 'resample.wasm'],
    { writeFile: (name, contents) => { if (name.endsWith('.wasm')) wasm = contents; } },
  );
  if (error) throw new Error(`asc: ${error.message}\n${stderr.toString()}`);
  return Buffer.from(wasm);
}

export function moduleSource(wasm) {
  return `// Generated from resample.as.ts by \`npm run build:wasm\` — do not edit.\nexport const RESAMPLE_WASM =\n  '${wasm.toString('base64')}';\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wasm = await compileResample();
  writeFileSync(here('./resample.wasm.ts'), moduleSource(wasm));
  console.log(`resample.wasm.ts: ${wasm.length} bytes of WebAssembly`);
}
