/**
 * Float64 reference for eight-schools, written from posteriordb's model.stan (eight_schools_noncentered):
 *
 *   theta = theta_trans * tau + mu;
 *   theta_trans ~ normal(0, 1);  y ~ normal(theta, sigma);  mu ~ normal(0, 5);  tau ~ cauchy(0, 5), tau > 0.
 *
 * z = (theta_trans[1..J], mu, log tau); tau = exp(z[J + 1]) adds log-Jacobian z[J + 1]. Every normalising
 * constant is kept, the half-Cauchy's factor 2 included, so lp is the true log joint density.
 */
import type { StanData } from '../../src/models/data';
import type { ReferenceModel } from './models';

const LOG_2PI = Math.log(2 * Math.PI);

function normalLpdf(x: number, mu: number, sd: number): number {
  const u = (x - mu) / sd;
  return -0.5 * u * u - Math.log(sd) - 0.5 * LOG_2PI;
}

/** log of the half-Cauchy(0, scale) density on x > 0. */
function halfCauchyLpdf(x: number, scale: number): number {
  return Math.log(2 / (Math.PI * scale)) - Math.log1p((x / scale) ** 2);
}

export function eightSchoolsReference(data: StanData): ReferenceModel {
  const j = data.J as number;
  const y = data.y as readonly number[];
  const sigma = data.sigma as readonly number[];
  const unpack = (z: Float64Array) => ({
    thetaTrans: z.subarray(0, j),
    mu: z[j] as number,
    logTau: z[j + 1] as number,
  });
  return {
    logJoint(z) {
      const { thetaTrans, mu, logTau } = unpack(z);
      const tau = Math.exp(logTau);
      const grad = new Float64Array(j + 2);
      let lp = normalLpdf(mu, 0, 5) + halfCauchyLpdf(tau, 5) + logTau;
      let dMu = -mu / 25;
      // d/dtau of the half-Cauchy, -2 tau / (25 + tau^2), times dtau/du = tau; +1 from the Jacobian.
      let dLogTau = 1 - (2 * tau * tau) / (25 + tau * tau);
      for (let i = 0; i < j; i++) {
        const t = thetaTrans[i] as number;
        const s = sigma[i] as number;
        const theta = mu + tau * t;
        lp += normalLpdf(t, 0, 1) + normalLpdf(y[i] as number, theta, s);
        // d/dtheta of the likelihood term.
        const dTheta = ((y[i] as number) - theta) / (s * s);
        grad[i] = -t + tau * dTheta;
        dMu += dTheta;
        dLogTau += tau * t * dTheta;
      }
      grad[j] = dMu;
      grad[j + 1] = dLogTau;
      return { lp, grad };
    },
    reported(z) {
      const { thetaTrans, mu, logTau } = unpack(z);
      const tau = Math.exp(logTau);
      return Float64Array.from([...Array.from(thetaTrans, (t) => mu + tau * t), mu, tau]);
    },
  };
}
