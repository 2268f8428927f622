#!/usr/bin/env Rscript
# Reads our Stan CSV with rstan::read_stan_csv (Debian: apt-get install r-cran-rstan r-cran-jsonlite) and
# checks it against the values we wrote: the mean row dropped (rstan does so when output_samples is set,
# as for CmdStan's variational output), the draws, log_p__ and log_g__ to 9 significant digits, and the
# parameters grouped with their dimensions. Run by test/reference/stan-csv/check-readers.ts:
#   Rscript check_with_rstan.R ours.csv expected.json
suppressPackageStartupMessages({
  library(rstan)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
fit <- suppressWarnings(read_stan_csv(args[1]))
expected <- fromJSON(args[2])
draws <- as.matrix(fit)
close_to <- function(a, b) all(abs(a - b) <= 1e-8 * pmax(1, abs(b)) | (is.infinite(a) & a == b))
stopifnot(
  fit@stan_args[[1]]$method == "variational",
  nrow(draws) == expected$draws,
  identical(colnames(draws), c("log_p__", "log_g__", expected$names, "lp__")),
  identical(fit@model_pars, c("log_p__", "log_g__", expected$pars, "lp__")),
  close_to(draws[, "log_p__"], expected$logP),
  close_to(draws[, "log_g__"], expected$logG),
  close_to(as.vector(draws[, expected$names]), as.vector(matrix(expected$values, ncol = length(expected$names), byrow = TRUE)))
)
print(fit@par_dims)
cat("rstan", as.character(packageVersion("rstan")), "read", nrow(draws), "draws of", ncol(draws), "columns: OK\n")
