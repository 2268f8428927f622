/** One line on how close to q's optimum a finished fit got (the result's accuracy block), for the page. */
import type { FitResult } from '../vi/engine';

const RULES: Record<FitResult['accuracy']['rule'], string> = {
  optimum: "q's marginals stopped moving",
  stan: "Stan's relative ELBO tolerance",
  mcse: "the ELBO's change within its Monte Carlo error",
  lbfgs: 'L-BFGS on fixed samples: the quasi-Newton step predicts the optimum',
};

function sds(x: number): string {
  return `${x < 0.1 ? x.toFixed(4) : x.toFixed(2)} sd`;
}

export function describeAccuracy(result: FitResult): string {
  const { accuracy } = result;
  const parts = [`Rule: ${RULES[accuracy.rule]}.`];
  if (accuracy.optimizerError !== null) {
    parts.push(`Estimated optimizer error: ${sds(accuracy.optimizerError)} (q's marginals, in sds).`);
  }
  if (accuracy.sampleError !== null) {
    parts.push(`Estimated error from the fixed samples: ${sds(accuracy.sampleError)}.`);
  }
  if (accuracy.startScale < 1) {
    parts.push(`Started from sd ${accuracy.startScale}: the bound was not finite in f32 at sd 1.`);
  }
  const [first, ...decays] = accuracy.stepSizes;
  if (first) {
    const start = result.settings.lr === 'auto' ? `auto → ${first[1]}` : String(first[1]);
    const last = decays[decays.length - 1];
    parts.push(
      `Learning rate ${start}${last ? `, halved ${decays.length} time${decays.length > 1 ? 's' : ''} to ${last[1].toPrecision(3)}` : ''}.`,
    );
  }
  if (result.restarts) {
    const elbos = result.restarts.map((r) => `${r.elbo.toFixed(3)}${r.converged ? '' : ' (not converged)'}`);
    parts.push(
      `Restarts: ${result.restarts.length}; shown: restart ${result.bestRestart ?? 0}, the best final ` +
        `${result.bound} (restart 0 … ${result.restarts.length - 1}: ${elbos.join(', ')}).`,
    );
  }
  return parts.join(' ');
}
