/**
 * The page: wires the settings form, the engine worker, the charts and the table together, and keeps the
 * run's lifecycle (idle, starting, running, paused) and its failures in one place. Everything slow happens
 * in the worker; this thread only stores what arrives and redraws once per animation frame.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import * as Comlink from 'comlink';
import type { StanData } from '../models/data';
import { getModel, MODEL_NAMES } from '../models/registry';
import type { ModelDefinition } from '../models/types';
import { formatDiagnostic, type StanDiagnostic } from '../stan/ast';
import { compileStan } from '../stan/compile';
import { findFamily } from '../vi/families/registry';
import type { DensityDrawSet, FitPhase, FitResult } from '../vi/engine';
import { packSummary, stanModelName, type FitListener } from '../../workers/protocol';
import { refreshColors } from './chart-style';
import { describeAccuracy } from './accuracy';
import { Controls, STAN_CHOICE } from './controls';
import { DataFileError, prepareData, readStanJson } from './data-file';
import { describeStartupError } from './errors';
import { download, drawsCsv, fileStem, resultJson } from './export';
import { fitSettingsFor } from './fit-settings';
import { finishingText, formatBinaryCount, formatInteger } from './format';
import { FrameScheduler } from './frame';
import { checkObjective } from './objective-choice';
import { KhatView } from './khat-view';
import { ResultsView } from './results-view';
import { StanEditor } from './stan-editor';
import { DEFAULT_STAN_EXAMPLE, STAN_EXAMPLES } from './stan-examples';
import { StatusLine, type RunState } from './status';
import { initTheme } from './theme';
import { parseUrlState, writeUrlState } from './url-state';
import { EngineClient } from './worker-client';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

type Phase = 'loading' | 'unavailable' | 'broken' | 'idle' | 'starting' | 'running' | 'pausing' | 'paused';

interface Outcome {
  readonly state: RunState;
  readonly text: string;
}

const models: readonly ModelDefinition[] = MODEL_NAMES.map(getModel);
const frames = new FrameScheduler();
const controls = new Controls(
  {
    form: $('settings'),
    model: $('model'),
    modelTitle: $('model-title'),
    dataFile: $('data-file'),
    dataSource: $('data-source'),
    clearData: $('clear-data'),
    family: $('family'),
    rank: $('rank'),
    objective: $('objective'),
    objectiveArg: $('objective-arg'),
    objectiveError: $('objective-error'),
    estimator: $('estimator'),
    estimatorHint: $('estimator-hint'),
    flowLayers: $('flow-layers'),
    flowHidden: $('flow-hidden'),
    samples: $('samples'),
    lr: $('lr'),
    optimizer: $('optimizer'),
    stop: $('stop-rule'),
    seed: $('seed'),
    maxSteps: $('max-steps'),
    diagnosticDraws: $('diagnostic-draws'),
    restarts: $('restarts'),
  },
  models,
);
const status = new StatusLine($('status'), $('restart'));
const results = new ResultsView(
  {
    readout: {
      step: $('m-step'),
      elbo: $('m-elbo'),
      samples: $('m-samples'),
      msPerStep: $('m-ms'),
      stepsPerSecond: $('m-steps'),
    },
    bound: $('m-bound'),
    boundLegend: $('elbo-legend'),
    elboChart: $('elbo-chart'),
    elboEmpty: $('elbo-empty'),
    histogram: $('histogram'),
    histogramEmpty: $('histogram-empty'),
    histogramNote: $('histogram-note'),
    paramSelect: $('param-select'),
    table: $('param-table'),
    pair: {
      card: $('density-card'),
      x: $('pair-x'),
      y: $('pair-y'),
      chart: $('density-2d'),
      empty: $('density-empty'),
      note: $('density-note'),
    },
  },
  frames,
);
const khat = new KhatView(
  {
    value: $('khat'),
    label: $('khat-label'),
    reading: $('khat-reading'),
    chart: $('khat-chart'),
    empty: $('khat-empty'),
  },
  frames,
);
const buttons = {
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  stop: $<HTMLButtonElement>('stop'),
  reset: $<HTMLButtonElement>('reset'),
  restart: $<HTMLButtonElement>('restart'),
  exportJson: $<HTMLButtonElement>('export-json'),
  exportCsv: $<HTMLButtonElement>('export-csv'),
};
const stanUi = {
  field: $('stan-field'),
  example: $<HTMLSelectElement>('stan-example'),
  file: $<HTMLInputElement>('stan-file'),
  errors: $('stan-errors'),
  editorBox: $('stan-editor'),
};
const adapterLine = $('adapter');
const accuracyLine = $('accuracy');

const app = {
  client: undefined as EngineClient | undefined,
  phase: 'loading' as Phase,
  /** Why the page cannot fit (no WebGPU, lost device, failed worker). */
  problem: '',
  /** Id of the current run: anything arriving from an older one is ignored. */
  run: 0,
  stopping: false,
  /** Set once the optimizer has stopped: the pass over q's draws the worker is running. */
  finishing: undefined as FitPhase | undefined,
  settings: parseUrlState(window.location.search, [...MODEL_NAMES, STAN_CHOICE]),
  inputError: undefined as string | undefined,
  /** Data from a file; undefined means the model's built-in data. */
  data: undefined as StanData | undefined,
  dataName: '',
  dataError: undefined as string | undefined,
  result: undefined as FitResult | undefined,
  draws: undefined as DensityDrawSet | undefined,
  outcome: undefined as Outcome | undefined,
  /** The editor's Stan program and what compiling it gave (on this thread: the compiler is pure TS). */
  stan: {
    source: '',
    fileName: 'model.stan',
    model: undefined as ModelDefinition | undefined,
    diagnostics: [] as readonly StanDiagnostic[],
    /** The text changed and has not been compiled yet. */
    pending: false,
    /** The program's data while a built-in model is chosen. */
    data: undefined as { data: StanData; name: string } | undefined,
  },
};

const stanChosen = (): boolean => app.settings.model === STAN_CHOICE;

/** The model a fit would run: a built-in, or the compiled Stan program (undefined while it does not compile). */
function currentModel(): ModelDefinition | undefined {
  return stanChosen() ? app.stan.model : getModel(app.settings.model);
}

/** Why the Stan program cannot be fitted now (no program, compile errors), or undefined. */
function stanProblem(): string | undefined {
  if (!stanChosen()) return undefined;
  if (app.stan.pending) return 'Compiling the Stan program…';
  if (app.stan.source.trim() === '') return 'Write a Stan program, load a .stan file or open an example.';
  const errors = app.stan.diagnostics.filter((d) => d.severity === 'error').length;
  if (!app.stan.model) {
    return `${app.stan.fileName} does not compile: ${errors} error${errors === 1 ? '' : 's'}, marked in the editor.`;
  }
  return undefined;
}

const active = (): boolean =>
  app.phase === 'starting' || app.phase === 'running' || app.phase === 'pausing' || app.phase === 'paused';

// ---- model and data -------------------------------------------------------------------------------

function describeBuiltInData(model: ModelDefinition): string {
  const scalars = Object.entries(model.defaultData())
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} = ${String(v)}`);
  return `Built-in data${scalars.length ? ` (${scalars.join(', ')})` : ''}`;
}

/** Validates the current model's data (on this thread: it is quick) and lays out the results for it. */
function prepareCurrent(): void {
  stanUi.field.hidden = !stanChosen();
  // A Stan program has no built-in data: the button only drops the file.
  controls.el.clearData.textContent = stanChosen() ? 'Use no data' : 'Use built-in data';
  const model = currentModel();
  if (!model) {
    stanUi.field.hidden = false;
    controls.el.modelTitle.textContent = 'A Stan program, compiled in the browser';
    app.dataError = undefined;
    controls.setDataSource(app.data ? `File: ${app.dataName}` : 'No data file', app.data !== undefined);
    results.setModel(undefined);
    clearRun();
    return;
  }
  controls.setModelInfo(model);
  const source = app.data ? `"${app.dataName}"` : stanChosen() ? 'no data' : 'the built-in data';
  const prepared = prepareData(model, app.data ?? model.defaultData(), source);
  app.dataError = 'error' in prepared ? prepared.error : undefined;
  controls.setDataSource(
    app.data ? `File: ${app.dataName}` : stanChosen() ? 'No data file' : describeBuiltInData(model),
    app.data !== undefined,
  );
  results.setModel('error' in prepared ? undefined : prepared.prepared);
  clearRun();
}

function clearRun(): void {
  accuracyLine.hidden = true;
  accuracyLine.textContent = '';
  app.result = undefined;
  app.draws = undefined;
  app.outcome = undefined;
  results.clear();
  results.setBound(boundOf(app.settings.objective));
  khat.clear();
}

/** The bound an objective maximises, as the result names it ("ELBO", "IW bound (K = 8)"). */
function boundOf(objective: string): string {
  const checked = checkObjective(objective);
  return 'bound' in checked ? checked.bound : 'ELBO';
}

// ---- rendering ------------------------------------------------------------------------------------

function modelLabel(): string {
  return stanChosen() ? stanModelName(app.stan.fileName) : app.settings.model;
}

function runDescription(): string {
  const s = app.settings;
  const title = findFamily(s.family)?.title ?? s.family;
  const family = title.charAt(0).toLowerCase() + title.slice(1);
  const bound = boundOf(s.objective);
  const objective = bound === 'ELBO' ? '' : `, maximising the ${bound}`;
  return `${modelLabel()} with a ${family}, ${formatBinaryCount(s.samples)} samples per step${objective}`;
}

function idleText(): string {
  return `Ready: press Start to fit ${runDescription()}.`;
}

function renderStatus(): void {
  const steps = results.steps;
  switch (app.phase) {
    case 'loading':
      status.set('loading', 'Looking for a WebGPU adapter…');
      break;
    case 'unavailable':
      status.set('unavailable', app.problem);
      break;
    case 'broken':
      status.set('error', app.problem, { restart: true });
      break;
    case 'starting':
      status.set('starting', `Starting: compiling the kernels for ${modelLabel()}…`);
      break;
    case 'running':
      // Static text while running (the step count is in the readout): the line is announced when it changes.
      status.set(
        'running',
        app.finishing
          ? finishingText(app.finishing, results.steps)
          : app.stopping
            ? 'Stopping…'
            : `Running: ${runDescription()}.`,
      );
      break;
    case 'pausing':
      status.set(
        'pausing',
        `Pausing at step ${formatInteger(steps)}: finishing the steps already on the GPU…`,
      );
      break;
    case 'paused':
      status.set('paused', `Paused at step ${formatInteger(steps)}. Press Resume to go on.`);
      break;
    case 'idle':
      if (stanProblem()) status.set(app.stan.pending ? 'starting' : 'error', stanProblem() ?? '');
      else if (app.dataError) status.set('error', app.dataError);
      else if (app.inputError) status.set('error', app.inputError);
      else if (app.outcome) status.set(app.outcome.state, app.outcome.text);
      else status.set('ready', idleText());
      break;
  }
}

function renderControls(): void {
  const idle = app.phase === 'idle';
  controls.setEditable(idle);
  buttons.start.disabled = !idle || !!app.dataError || !!app.inputError || !!stanProblem();
  stanUi.example.disabled = !idle;
  stanUi.file.disabled = !idle;
  editor.setEditable(idle);
  buttons.pause.disabled = !active() || app.stopping;
  const pausing = app.phase === 'paused' || app.phase === 'pausing';
  buttons.pause.textContent = pausing ? 'Resume' : 'Pause';
  buttons.pause.setAttribute('aria-pressed', String(pausing));
  buttons.stop.disabled = !active() || app.stopping;
  buttons.reset.disabled = !(active() || (idle && (app.outcome !== undefined || results.steps > 0)));
  buttons.exportJson.disabled = !app.result;
  buttons.exportCsv.disabled = !app.result || !app.draws;
  document.body.dataset.phase = app.phase;
}

function render(): void {
  renderStatus();
  renderControls();
}

// ---- the worker -----------------------------------------------------------------------------------

function connect(): void {
  app.client?.terminate();
  app.run++;
  app.outcome = undefined;
  app.phase = 'loading';
  app.stopping = false;
  render();
  adapterLine.dataset.state = 'pending';
  adapterLine.textContent = 'Looking for a WebGPU adapter…';
  if (!navigator.gpu) {
    fail('unavailable', describeStartupError({ name: 'WebGpuUnavailableError', message: '' }));
    return;
  }
  const client = new EngineClient({
    onFailure: (message) => {
      if (app.client !== client) return;
      fail('broken', `The engine's worker failed: ${message}. Press Restart to start a new one.`);
    },
    onLost: (message) => {
      if (app.client !== client) return;
      fail(
        'broken',
        `${message.replace(/[.\s]+$/, '')}. Press Restart for a new device ` +
          '(a driver reset or running out of GPU memory loses it; if this keeps happening, try fewer samples per step).',
      );
    },
  });
  app.client = client;
  client.init().then(
    (adapter) => {
      if (app.client !== client) return;
      adapterLine.dataset.state = 'ready';
      adapterLine.textContent = `Adapter: ${adapter.name}${adapter.isCpu ? ' (CPU)' : ''}`;
      adapterLine.title = `Optional features: ${adapter.features.join(', ') || 'none'}`;
      app.phase = 'idle';
      render();
    },
    (error: unknown) => {
      if (app.client !== client) return;
      const described = describeStartupError(error as Error);
      fail(described.restart ? 'broken' : 'unavailable', described);
    },
  );
}

function fail(phase: 'unavailable' | 'broken', problem: string | { text: string }): void {
  app.run++;
  app.phase = phase;
  app.stopping = false;
  app.problem = typeof problem === 'string' ? problem : problem.text;
  adapterLine.dataset.state = 'error';
  if (phase === 'unavailable') adapterLine.textContent = 'No WebGPU adapter';
  render();
}

// ---- running --------------------------------------------------------------------------------------

async function start(): Promise<void> {
  const client = app.client;
  const read = controls.read();
  if ('error' in read) {
    app.inputError = read.error;
    render();
    return;
  }
  if (!client || app.phase !== 'idle' || app.dataError || stanProblem()) return;
  const id = ++app.run;
  clearRun();
  results.setBound(boundOf(read.settings.objective));
  app.phase = 'starting';
  app.stopping = false;
  app.finishing = undefined;
  render();
  const mine = (): boolean => id === app.run;
  const listener: FitListener = {
    onStarted: () => {
      if (mine() && app.phase === 'starting') {
        app.phase = 'running';
        render();
      }
    },
    onProgress: (update) => {
      if (mine()) results.progress(update);
    },
    onSummary: (summary) => {
      if (mine()) results.setSummary(summary, false);
    },
    onDraws: (draws) => {
      if (mine()) results.setDraws(draws, false);
    },
    onDiagnostics: (sample) => {
      if (mine()) khat.add(sample, false);
    },
    onPhase: (phase) => {
      if (!mine()) return;
      app.finishing = phase;
      render();
    },
    onPaused: (steps) => {
      if (!mine() || app.phase !== 'pausing') return;
      app.phase = 'paused';
      results.setSteps(steps);
      render();
    },
  };
  try {
    const { result, draws } = await client.api.run(
      {
        model: read.settings.model,
        ...(stanChosen() ? { stan: { source: app.stan.source, fileName: app.stan.fileName } } : {}),
        ...(app.data ? { data: app.data } : {}),
        settings: fitSettingsFor(read.settings),
      },
      Comlink.proxy(listener),
    );
    if (mine()) finish(result, draws);
  } catch (error) {
    if (!mine()) return;
    app.phase = 'idle';
    app.stopping = false;
    app.finishing = undefined;
    app.outcome = { state: 'error', text: `The fit failed: ${(error as Error).message}` };
    render();
  }
}

function finish(result: FitResult, draws: DensityDrawSet): void {
  app.finishing = undefined;
  app.result = result;
  app.draws = draws;
  app.phase = 'idle';
  app.stopping = false;
  const state: RunState = result.converged
    ? 'converged'
    : result.stopReason === 'diverged'
      ? 'diverged'
      : 'stopped';
  app.outcome = { state, text: `Finished: ${result.message}.` };
  accuracyLine.textContent = describeAccuracy(result);
  accuracyLine.hidden = false;
  results.setSteps(result.steps);
  results.setBound(result.bound);
  results.setDraws(draws, true);
  const d = result.diagnostics;
  khat.add({ steps: result.steps, khat: d.khat, level: d.level, reading: d.reading, draws: d.draws }, true);
  results.setSummary(
    packSummary({ ...result.params, histograms: result.histograms }, result.settings.draws),
    true,
  );
  render();
}

function togglePause(): void {
  const api = app.client?.api;
  if (!api) return;
  if (app.phase === 'paused' || app.phase === 'pausing') {
    app.phase = 'running';
    void api.resume();
  } else if (app.phase === 'running' || app.phase === 'starting') {
    app.phase = 'pausing';
    void api.pause();
  }
  render();
}

function stop(): void {
  if (!active() || !app.client) return;
  app.stopping = true;
  // A paused fit resumes just long enough to notice it was stopped.
  app.phase = 'running';
  void app.client.api.stop();
  render();
}

function reset(): void {
  if (app.phase !== 'idle' && !active()) return;
  if (active()) void app.client?.api.stop();
  app.run++;
  app.phase = 'idle';
  app.stopping = false;
  clearRun();
  render();
}

// ---- settings -------------------------------------------------------------------------------------

function onSettingsChanged(): void {
  const model = controls.el.model.value;
  if (model !== app.settings.model) {
    // Each model comes with its own data: a file loaded for the previous model does not carry over. The Stan
    // program keeps its own, for when the user comes back to it.
    if (stanChosen()) app.stan.data = app.data ? { data: app.data, name: app.dataName } : undefined;
    app.settings = { ...app.settings, model };
    app.data = stanChosen() ? app.stan.data?.data : undefined;
    app.dataName = stanChosen() ? (app.stan.data?.name ?? '') : '';
    controls.clearFileInput();
    if (stanChosen() && app.stan.source === '') openExample(DEFAULT_STAN_EXAMPLE);
    else prepareCurrent();
  }
  controls.showOptimizerFields();
  controls.showFamilyFields();
  controls.showObjectiveFields();
  const read = controls.read();
  app.inputError = 'error' in read ? read.error : undefined;
  // An invalid field keeps its last valid value in the URL until it is fixed.
  if (!('error' in read)) app.settings = read.settings;
  // Before a run, the readout names the bound the next one will maximise; a run shown keeps its own.
  if (!active() && !app.outcome && results.steps === 0) results.setBound(boundOf(app.settings.objective));
  writeUrlState(app.settings);
  render();
}

async function onDataFile(): Promise<void> {
  const file = controls.el.dataFile.files?.[0];
  if (!file) return;
  try {
    app.data = await readStanJson(file);
    app.dataName = file.name;
    prepareCurrent();
  } catch (error) {
    app.data = undefined;
    app.dataName = file.name;
    app.dataError =
      error instanceof DataFileError ? `Bad data file: ${error.message}.` : `Could not read "${file.name}".`;
    controls.setDataSource(`File: ${file.name} (not usable)`, true);
    results.setModel(undefined);
    clearRun();
  }
  render();
}

// ---- the Stan program ------------------------------------------------------------------------------

const COMPILE_DELAY_MS = 300;
let compileTimer: ReturnType<typeof setTimeout> | undefined;

function showDiagnostics(): void {
  const { fileName, source, diagnostics } = app.stan;
  stanUi.errors.replaceChildren(
    ...diagnostics.map((d) => {
      const item = document.createElement('li');
      item.dataset.line = String(d.line);
      item.dataset.severity = d.severity;
      item.textContent = formatDiagnostic(fileName, source, d).split('\n')[0] ?? '';
      return item;
    }),
  );
  editor.markErrors(diagnostics.filter((d) => d.severity === 'error').map((d) => d.line));
}

/** Compiles the editor's program now; the result decides the errors shown and whether Start is enabled. */
function compileNow(): void {
  clearTimeout(compileTimer);
  compileTimer = undefined;
  const { source, fileName } = app.stan;
  const compiled =
    source.trim() === '' ? undefined : compileStan(source, { name: stanModelName(fileName), fileName });
  app.stan.model = compiled && 'model' in compiled ? compiled.model : undefined;
  app.stan.diagnostics = !compiled
    ? []
    : 'diagnostics' in compiled
      ? compiled.diagnostics
      : compiled.warnings;
  app.stan.pending = false;
  stanUi.editorBox.dataset.state = !compiled ? 'empty' : app.stan.model ? 'ok' : 'error';
  showDiagnostics();
  prepareCurrent();
  render();
}

function onStanEdited(text: string): void {
  app.stan.source = text;
  app.stan.pending = true;
  // Marked at once, so that a test (or a user) never reads the previous program's verdict as this one's.
  stanUi.editorBox.dataset.state = 'pending';
  clearTimeout(compileTimer);
  compileTimer = setTimeout(compileNow, COMPILE_DELAY_MS);
  render();
}

/** A program from a file or an example replaces the editor's text and is compiled at once. */
function setProgram(source: string, fileName: string): void {
  app.stan.fileName = fileName;
  editor.setText(source);
  app.stan.source = source;
  compileNow();
}

function openExample(name: string): void {
  const example = STAN_EXAMPLES.find((e) => e.name === name);
  if (!example) return;
  // An example comes with its data.
  try {
    app.data = JSON.parse(example.data) as StanData;
    app.dataName = `${example.name}/data.json`;
  } catch {
    app.data = undefined;
    app.dataName = '';
  }
  controls.clearFileInput();
  stanUi.example.value = example.name;
  setProgram(example.source, `${example.name}.stan`);
}

async function onStanFile(): Promise<void> {
  const file = stanUi.file.files?.[0];
  if (!file) return;
  const text = await file.text();
  // Another program: data loaded for the previous one does not carry over.
  app.data = undefined;
  app.dataName = '';
  controls.clearFileInput();
  stanUi.example.value = '';
  setProgram(text, file.name);
  stanUi.file.value = '';
}

function useBuiltInData(): void {
  app.data = undefined;
  app.dataName = '';
  controls.clearFileInput();
  prepareCurrent();
  render();
}

// ---- wiring ---------------------------------------------------------------------------------------

const editor = new StanEditor(stanUi.editorBox, onStanEdited);
stanUi.example.append(...STAN_EXAMPLES.map((e) => new Option(e.name, e.name)));
stanUi.example.addEventListener('change', () => openExample(stanUi.example.value));
stanUi.file.addEventListener('change', () => void onStanFile());

controls.write(app.settings);
writeUrlState(app.settings);
if (stanChosen()) openExample(DEFAULT_STAN_EXAMPLE);
else prepareCurrent();
controls.el.form.addEventListener('change', (event) => {
  const own = [controls.el.dataFile, stanUi.file, stanUi.example];
  if (!own.includes(event.target as HTMLInputElement)) onSettingsChanged();
});
controls.el.form.addEventListener('submit', (event) => event.preventDefault());
controls.el.dataFile.addEventListener('change', () => void onDataFile());
controls.el.clearData.addEventListener('click', useBuiltInData);
buttons.start.addEventListener('click', () => void start());
buttons.pause.addEventListener('click', togglePause);
buttons.stop.addEventListener('click', stop);
buttons.reset.addEventListener('click', reset);
buttons.restart.addEventListener('click', connect);
buttons.exportJson.addEventListener('click', () => {
  if (app.result) download(`${fileStem(app.result)}.json`, resultJson(app.result), 'application/json');
});
buttons.exportCsv.addEventListener('click', () => {
  if (app.result && app.draws) {
    const csv = drawsCsv(app.result, app.draws, app.data ? app.dataName : undefined);
    download(`${fileStem(app.result)}-draws.csv`, csv, 'text/csv');
  }
});
initTheme($('theme-toggle'), () => {
  refreshColors();
  results.redraw();
  khat.redraw();
});

declare global {
  interface Window {
    /** Hooks for the end-to-end tests: provoke the failures a real GPU or a real bug would cause. */
    webgpuViTest?: {
      loseDevice(): Promise<void>;
      crashWorker(): Promise<void>;
      /** Steps the running fit has submitted to the GPU (asked of the worker). */
      engineSteps(): Promise<number>;
    };
  }
}
window.webgpuViTest = {
  loseDevice: async () => app.client?.api.simulateDeviceLoss(),
  crashWorker: async () => app.client?.api.simulateCrash(),
  engineSteps: async () => (await app.client?.api.engineSteps()) ?? 0,
};

render();
connect();
