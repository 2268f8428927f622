/** `webgpu-vi fit`: fits a built-in model to Stan-JSON data on this machine's WebGPU adapter (Dawn). */
import { readFileSync, writeFileSync } from 'node:fs';
import { acquireDevice } from '../gpu/device';
import type { StanData } from '../models/data';
import { DataError } from '../models/data';
import { getModel, UnknownModelError } from '../models/registry';
import { fitDrawsCsv } from '../vi/draws-csv';
import { ViEngine } from '../vi/engine';
import { resolveSettings, SettingsError } from '../vi/settings';
import { HELP, parseFitArgs, UsageError } from './args';
import { diagnosticLines, progressLine, summaryTable } from './format';

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

async function main(argv: readonly string[]): Promise<number> {
  const command = parseFitArgs(argv);
  if (command === 'help') {
    console.log(HELP);
    return 0;
  }
  // Everything the user gave is checked before the GPU is touched.
  const model = getModel(command.model);
  const data = command.dataPath ? readData(command.dataPath) : model.defaultData();
  model.prepare(data);
  const settings = resolveSettings(command.settings);

  const ctx = await acquireDevice();
  if (!command.quiet) console.error(`adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`);
  const engine = await ViEngine.create(ctx, model, data, settings);
  let lastPrint = 0;
  const result = await engine.fit({
    onProgress: (p) => {
      const now = Date.now();
      if (!command.quiet && now - lastPrint > 500) {
        lastPrint = now;
        console.error(progressLine(p, engine.components.objective.boundName));
      }
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
    const usage = [UsageError, SettingsError, DataError, UnknownModelError].some(
      (type) => err instanceof type,
    );
    console.error(`webgpu-vi: ${err.message}`);
    process.exit(usage ? 2 : 1);
  },
);
