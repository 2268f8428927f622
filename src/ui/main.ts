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
import { findFamily } from '../vi/families/registry';
import type { DensityDrawSet, FitResult } from '../vi/engine';
import { packSummary, type FitListener } from '../../workers/protocol';
import { refreshColors } from './chart-style';
import { describeAccuracy } from './accuracy';
import { Controls } from './controls';
import { DataFileError, prepareData, readStanJson } from './data-file';
import { describeStartupError } from './errors';
import { download, drawsCsv, fileStem, resultJson } from './export';
import { fitSettingsFor } from './fit-settings';
import { formatBinaryCount, formatInteger } from './format';
import { FrameScheduler } from './frame';
import { KhatView } from './khat-view';
import { ResultsView } from './results-view';
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
    samples: $('samples'),
    lr: $('lr'),
    optimizer: $('optimizer'),
    stop: $('stop-rule'),
    seed: $('seed'),
    maxSteps: $('max-steps'),
    diagnosticDraws: $('diagnostic-draws'),
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
    elboChart: $('elbo-chart'),
    elboEmpty: $('elbo-empty'),
    histogram: $('histogram'),
    histogramEmpty: $('histogram-empty'),
    histogramNote: $('histogram-note'),
    paramSelect: $('param-select'),
    table: $('param-table'),
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
  settings: parseUrlState(window.location.search, MODEL_NAMES),
  inputError: undefined as string | undefined,
  /** Data from a file; undefined means the model's built-in data. */
  data: undefined as StanData | undefined,
  dataName: '',
  dataError: undefined as string | undefined,
  result: undefined as FitResult | undefined,
  draws: undefined as DensityDrawSet | undefined,
  outcome: undefined as Outcome | undefined,
};

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
  const model = getModel(app.settings.model);
  controls.setModelInfo(model);
  const source = app.data ? `"${app.dataName}"` : 'the built-in data';
  const prepared = prepareData(model, app.data ?? model.defaultData(), source);
  app.dataError = 'error' in prepared ? prepared.error : undefined;
  controls.setDataSource(
    app.data ? `File: ${app.dataName}` : describeBuiltInData(model),
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
  khat.clear();
}

// ---- rendering ------------------------------------------------------------------------------------

function runDescription(): string {
  const s = app.settings;
  const title = findFamily(s.family)?.title ?? s.family;
  const family = title.charAt(0).toLowerCase() + title.slice(1);
  return `${s.model} with a ${family}, ${formatBinaryCount(s.samples)} samples per step`;
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
      status.set('starting', `Starting: compiling the kernels for ${app.settings.model}…`);
      break;
    case 'running':
      // Static text while running (the step count is in the readout): the line is announced when it changes.
      status.set('running', app.stopping ? 'Stopping…' : `Running: ${runDescription()}.`);
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
      if (app.dataError) status.set('error', app.dataError);
      else if (app.inputError) status.set('error', app.inputError);
      else if (app.outcome) status.set(app.outcome.state, app.outcome.text);
      else status.set('ready', idleText());
      break;
  }
}

function renderControls(): void {
  const idle = app.phase === 'idle';
  controls.setEditable(idle);
  buttons.start.disabled = !idle || !!app.dataError || !!app.inputError;
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
  if (!client || app.phase !== 'idle' || app.dataError) return;
  const id = ++app.run;
  clearRun();
  app.phase = 'starting';
  app.stopping = false;
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
    onDiagnostics: (sample) => {
      if (mine()) khat.add(sample, false);
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
    app.outcome = { state: 'error', text: `The fit failed: ${(error as Error).message}` };
    render();
  }
}

function finish(result: FitResult, draws: DensityDrawSet): void {
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
    // Each model comes with its own data: a file loaded for the previous model does not carry over.
    app.settings = { ...app.settings, model };
    app.data = undefined;
    app.dataName = '';
    controls.clearFileInput();
    prepareCurrent();
  }
  controls.showOptimizerFields();
  controls.showFamilyFields();
  const read = controls.read();
  app.inputError = 'error' in read ? read.error : undefined;
  // An invalid field keeps its last valid value in the URL until it is fixed.
  if (!('error' in read)) app.settings = read.settings;
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

function useBuiltInData(): void {
  app.data = undefined;
  app.dataName = '';
  controls.clearFileInput();
  prepareCurrent();
  render();
}

// ---- wiring ---------------------------------------------------------------------------------------

controls.write(app.settings);
writeUrlState(app.settings);
prepareCurrent();
controls.el.form.addEventListener('change', (event) => {
  if (event.target !== controls.el.dataFile) onSettingsChanged();
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
