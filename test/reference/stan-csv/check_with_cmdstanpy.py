"""Reads our Stan CSV with cmdstanpy (from_csv -> CmdStanVB) and checks it against the values we wrote.

Run by test/reference/stan-csv/check-readers.ts when cmdstanpy can be imported (set PYTHONPATH to a
cmdstanpy checkout and its dependencies: stanio, numpy, pandas, tqdm):
    python3 check_with_cmdstanpy.py ours.csv expected.json
"""
import json
import sys

import numpy as np
import cmdstanpy

path, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    expected = json.load(f)
fit = cmdstanpy.from_csv(path, method='variational')
assert type(fit).__name__ == 'CmdStanVB', type(fit)
names = expected['names']
assert list(fit.column_names) == ['lp__', 'log_p__', 'log_g__'] + names, fit.column_names
assert fit.eta == expected['eta'], fit.eta
np.testing.assert_allclose(fit.variational_params_np[3:], expected['mean'], rtol=1e-8)
sample = fit.variational_sample
assert sample.shape == (expected['draws'], 3 + len(names)), sample.shape
values = np.array(expected['values']).reshape(expected['draws'], len(names))
np.testing.assert_allclose(sample[:, 3:], values, rtol=1e-8)
np.testing.assert_allclose(sample[:, 1], np.array(expected['logP'], dtype=float), rtol=1e-8)
theta = fit.stan_variable('theta', mean=False)
assert theta.shape == (expected['draws'], 3), theta.shape
L = fit.stan_variable('L', mean=False)
assert L.shape == (expected['draws'], 2, 2), L.shape
print('cmdstanpy', cmdstanpy.__version__, 'read', sample.shape[0], 'draws; theta', theta.shape, 'L', L.shape, ': OK')
