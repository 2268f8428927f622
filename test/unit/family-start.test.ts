/** Every family's starting lambda (no GPU): q centred at 0 with the marginal sds asked for. */
import { describe, expect, it } from 'vitest';
import { familyNames, findFamily } from '../../src/vi/families/registry';

describe('family.initial(d, scale)', () => {
  it.each(familyNames())("%s: centred at 0, with the default start's sds times the scale", (name) => {
    const family = findFamily(name);
    if (!family) throw new Error(name);
    const d = 6;
    const unit = family.marginals(family.initial(d), d);
    expect(family.marginals(family.initial(d, 1), d)).toEqual(unit);
    for (const scale of [0.5, 0.01]) {
      const narrow = family.marginals(family.initial(d, scale), d);
      // The flow's marginals are moments of fixed draws, so its mean is their sample mean, scaled too.
      narrow.mean.forEach((m, i) =>
        expect(Math.abs(m - scale * (unit.mean[i] as number))).toBeLessThan(1e-9),
      );
      narrow.sd.forEach((sd, i) => expect(sd / (unit.sd[i] as number) / scale).toBeCloseTo(1, 6));
    }
    // meanfield, fullrank and flow start at sd 1 exactly; lowrank at sqrt(1 + |B0 row|^2), B0 small.
    unit.sd.forEach((sd) => expect(Math.abs(sd - 1)).toBeLessThan(name === 'flow' ? 0.05 : 0.02));
  });
});
