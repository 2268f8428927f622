/** The engine settings for a run from the page: the form's, plus a submit size that keeps Pause and Stop prompt. */
import { DEFAULT_SETTINGS, type FitSettings } from '../vi/settings';
import type { UiSettings } from './url-state';

/** Samples per submit above which steps go to the GPU in smaller groups. */
const SAMPLES_PER_SUBMIT = 2 ** 21;

export function fitSettingsFor(ui: UiSettings): Partial<FitSettings> {
  const { model: _model, ...fit } = ui;
  // Pause and Stop act between submits. Ten steps of millions of samples each can take seconds (far more on
  // a CPU adapter), so large steps are submitted a few at a time; the results do not change, since the
  // random numbers are keyed by step, not by submit.
  const stepsPerSubmit = Math.max(
    1,
    Math.min(DEFAULT_SETTINGS.stepsPerSubmit, Math.floor(SAMPLES_PER_SUBMIT / ui.samples)),
  );
  return { ...fit, stepsPerSubmit };
}
