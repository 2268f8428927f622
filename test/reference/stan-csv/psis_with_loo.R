#!/usr/bin/env Rscript
# Reads a draws CSV of `webgpu-vi fit --draws-csv` with rstan::read_stan_csv, as R users read Stan's ADVI
# output, and computes loo::psis on log_p__ - log_g__ (the log importance ratios up to a constant), printing
# k-hat and the ESS as JSON for test/reference/stan-csv/check-loo.ts to compare with our own psis.
#   Rscript psis_with_loo.R draws.csv
suppressPackageStartupMessages({
  library(rstan)
  library(loo)
})
args <- commandArgs(trailingOnly = TRUE)
fit <- suppressWarnings(read_stan_csv(args[1]))
draws <- as.matrix(fit)
ratios <- draws[, "log_p__"] - draws[, "log_g__"]
result <- suppressWarnings(psis(ratios, r_eff = 1))
cat(sprintf(
  '{"draws": %d, "khat": %.17g, "ess": %.17g, "loo": "%s", "rstan": "%s"}\n',
  length(ratios), pareto_k_values(result), psis_n_eff_values(result),
  as.character(packageVersion("loo")), as.character(packageVersion("rstan"))
))
