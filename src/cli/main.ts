/** `webgpu-vi fit`: fits a built-in model to Stan-JSON data on this machine's WebGPU adapter (Dawn). */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { acquireDevice } from '../gpu/device';
import type { StanData } from '../models/data';
import { DataError } from '../models/data';
import { getModel, UnknownModelError } from '../models/registry';
import { ModelLimitError, type ModelDefinition } from '../models/types';
import { ShaderCompilationError } from '../gpu/errors';
import { formatDiagnostic } from '../stan/ast';
import { compileStan, StanLimitError } from '../stan/compile';
import { fitDrawsCsv } from '../vi/draws-csv';
import { ViEngine } from '../vi/engine';
import { resolveSettings, SettingsError } from '../vi/settings';
import { HELP, parseFitArgs, UsageError } from './args';
import { diagnosticLines, phaseLine, progressLine, summaryTable } from './format';

function readData(path: string): StanData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--data: cannot read "${path}": ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--data: "${path}" is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(
      `--data: "${path}" must hold a JSON object of named fields (Stan's JSON data format)`,
    );
  }
  return data as StanData;
}

/** A Stan program's diagnostics, printed as stanc prints them: the CLI exits 2 (the user's input). */
class StanCompileError extends Error {
  override name = 'StanCompileError';
}

/** A built-in model by name, or a Stan program compiled from a file whose name ends in .stan. */
function resolveModel(spec: string): { model: ModelDefinition; stanFile?: string } {
  if (!spec.endsWith('.stan')) return { model: getModel(spec) };
  let source: string;
  try {
    source = readFileSync(spec, 'utf8');
  } catch (error) {
    throw new UsageError(`--model: cannot read "${spec}": ${(error as Error).message}`);
  }
  const name = basename(spec, '.stan');
  const compiled = compileStan(source, { name, fileName: spec });
  if ('diagnostics' in compiled) {
    const errors = compiled.diagnostics.map((d) => formatDiagnostic(spec, source, d));
    throw new StanCompileError(`${spec} does not compile:\n${errors.join('\n')}`);
  }
  for (const w of compiled.warnings) console.error(formatDiagnostic(spec, source, w));
  return { model: compiled.model, stanFile: spec };
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseFitArgs(argv);
  if (command === 'help') {
    console.log(HELP);
    return 0;
  }
  // Everything the user gave is checked before the GPU is touched.
  const { model, stanFile } = resolveModel(command.model);
  if (stanFile && !command.dataPath)
    throw new UsageError(`--data is required with a Stan program (${stanFile})`);
  const data = command.dataPath ? readData(command.dataPath) : model.defaultData();
  model.prepare(data);
  const settings = resolveSettings(command.settings);

  const ctx = await acquireDevice();
  if (!command.quiet) console.error(`adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`);
  let engine: ViEngine;
  try {
    engine = await ViEngine.create(ctx, model, data, settings);
  } catch (error) {
    // WGSL generated from Stan that does not compile is a bug of the Stan compiler, not of the user's model.
    if (stanFile && error instanceof ShaderCompilationError) {
      throw new Error(
        `internal error: the WGSL generated for the Stan model ${stanFile} does not compile (a bug in ` +
          `webgpu-vi's Stan compiler; please report it with the model):\n${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  let lastPrint = 0;
  const result = await engine.fit({
    onProgress: (p) => {
      const now = Date.now();
      if (!command.quiet && now - lastPrint > 500) {
        lastPrint = now;
        console.error(progressLine(p, engine.components.objective.boundName));
      }
    },
    onPhase: (p) => {
      if (!command.quiet) console.error(phaseLine(p));
    },
  });
  const csvDraws = command.drawsCsv ? await engine.drawsWithDensities(settings.draws) : undefined;
  engine.destroy();
  ctx.device.destroy();
  console.log(summaryTable(result));
  console.log(diagnosticLines(result));
  // Shown even with --quiet: it says the answer above may be wrong.
  if (result.diagnostics.level === 'bad' || result.diagnostics.level === 'unknown')
    console.error(`webgpu-vi: warning: ${result.diagnostics.reading}`);
  if (command.drawsCsv && csvDraws) {
    const dataFile = command.dataPath ? { dataFile: command.dataPath } : {};
    writeFileSync(command.drawsCsv, fitDrawsCsv(result, csvDraws, dataFile));
    if (!command.quiet) console.error(`${csvDraws.count} draws written to ${command.drawsCsv} (CmdStan CSV)`);
  }
  if (command.out) {
    writeFileSync(command.out, JSON.stringify(result, null, 2));
    if (!command.quiet) console.error(`result written to ${command.out}`);
  }
  return result.stopReason === 'diverged' ? 3 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const err = error as Error;
    // Bad flags, settings, model names or data: the user's input, not a failure of ours.
    const usage = [
      UsageError,
      SettingsError,
      DataError,
      UnknownModelError,
      StanCompileError,
      StanLimitError,
      ModelLimitError,
    ].some((type) => err instanceof type);
    console.error(`webgpu-vi: ${err.message}`);
    process.exit(usage ? 2 : 1);
  },
);
