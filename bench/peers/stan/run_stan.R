# Stan's own inference (rstan 2.21) on one job: ADVI (vb(), meanfield or fullrank), NUTS (sampling()), or the
# log density at given unconstrained points (to check that a peer model is the same posterior as ours).
#
#   Rscript bench/peers/stan/run_stan.R job.json result.json
#
# job.json:
#   model      path of the .stan file (pre-2.26 syntax: rstan 2.21's stanc)
#   cache_dir  where compiled models are kept (saveRDS of the stanmodel, keyed by the model's md5 and the
#              rstan version), so a second run does not recompile (about 40 s of one core per model)
#   data       Stan data (a JSON object, as for CmdStan)
#   algorithm  "meanfield" | "fullrank" | "nuts" | "log_prob"
#   seed       integer
#   params     names of the reported parameters (e.g. "theta[1]"), in the order the result gives them
#   options    optional overrides, passed to vb() / sampling() as they are (e.g. iter, warmup, chains, cores);
#              empty for "Stan as a user runs it": vb() at its defaults (iter 10000, tol_rel_obj 0.01, eta
#              adaptation, output_samples 1000), sampling() at its defaults (4 chains, 2000 iterations)
#   points     log_prob only: unconstrained points, one array per point
#
# result.json: { ok: true, compile_seconds (0 when the model came from the cache), cached_compile_seconds (what
#   compiling it took), fit_seconds (wall time around vb() / sampling()), names, mean, sd (over the output
#   draws), draws, warnings, log (Stan's console output), rstan_version, stan_version; vb(): iterations,
#   converged, message (Stan's verdict), eta, pareto_k; NUTS: se_mean, se_sd, n_eff, rhat; log_prob: log_prob,
#   grad_log_prob } or { ok: false, kind: "missing-rstan" | "missing-boost" | "bad-job" | "compile" | "fit", error }.
# The exit status is 0 whenever result.json was written; Stan's console output is captured, not printed.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
  cat("usage: Rscript run_stan.R job.json result.json\n", file = stderr())
  quit(status = 2)
}
result_path <- args[[2]]

write_result <- function(result) {
  if (!requireNamespace("jsonlite", quietly = TRUE)) {
    cat("run_stan.R: the R package jsonlite is missing (apt-get install r-cran-jsonlite)\n", file = stderr())
    quit(status = 4)
  }
  json <- jsonlite::toJSON(result, auto_unbox = TRUE, digits = NA, null = "null", na = "null")
  writeLines(json, result_path)
}

fail <- function(kind, error) {
  write_result(list(ok = FALSE, kind = kind, error = error))
  quit(status = 0)
}

for (pkg in c("jsonlite", "rstan")) {
  if (!requireNamespace(pkg, quietly = TRUE)) {
    fail("missing-rstan", sprintf("the R package %s is missing (apt-get install -y r-cran-rstan r-cran-jsonlite)", pkg))
  }
}
suppressPackageStartupMessages(library(rstan))

job <- jsonlite::fromJSON(args[[1]], simplifyVector = TRUE)
for (field in c("model", "cache_dir", "data", "algorithm", "seed")) {
  if (is.null(job[[field]])) fail("bad-job", sprintf("job: the field \"%s\" is missing", field))
}
algorithm <- job$algorithm
if (!(algorithm %in% c("meanfield", "fullrank", "nuts", "log_prob"))) {
  fail("bad-job", sprintf("job.algorithm: expected meanfield, fullrank, nuts or log_prob, got \"%s\"", algorithm))
}
options <- if (is.null(job$options)) list() else as.list(job$options)
rstan_version <- as.character(packageVersion("rstan"))

# A compiled model, from the cache when its source has not changed (the stanmodel keeps its shared object:
# save_dso is on by default, so readRDS gives a model that runs in a new R session), with the seconds that
# compiling it took.
compiled_model <- function(model_path, cache_dir) {
  if (!file.exists(model_path)) fail("bad-job", sprintf("job.model: no such file \"%s\"", model_path))
  key <- substr(unname(tools::md5sum(model_path)), 1, 12)
  name <- sub("\\.stan$", "", basename(model_path))
  cached <- file.path(cache_dir, sprintf("%s-%s-rstan%s.rds", name, key, rstan_version))
  if (file.exists(cached)) {
    entry <- readRDS(cached)
    return(list(model = entry$model, seconds = 0, cached_seconds = entry$seconds))
  }
  dir.create(cache_dir, recursive = TRUE, showWarnings = FALSE)
  start <- proc.time()[["elapsed"]]
  run <- run_captured(stan_model(file = model_path, model_name = name, auto_write = FALSE))
  if (!is.null(run$error)) {
    # stanc's and the C++ compiler's messages are in the captured messages and output; the R error only says
    # that compiling failed.
    text <- paste(c(run$error, run$warnings, run$output), collapse = "\n")
    if (grepl("Boost not found|boost/[^ ]*: No such file|BH/include", text)) {
      fail("missing-boost", paste(
        "rstan found no Boost headers under the BH package (Debian keeps them in /usr/include:",
        "ln -s /usr/include /usr/lib/R/site-library/BH/include)"
      ))
    }
    fail("compile", paste(c(run$error, run$warnings, tail(run$output, 20)), collapse = "\n"))
  }
  model <- run$value
  seconds <- proc.time()[["elapsed"]] - start
  # Written under a temporary name, then renamed, so a run cut short never leaves half a model behind.
  partial <- paste0(cached, ".partial-", Sys.getpid())
  saveRDS(list(model = model, seconds = seconds), partial)
  file.rename(partial, cached)
  list(model = model, seconds = seconds, cached_seconds = seconds)
}

# Stan's console output and R's warnings, kept rather than printed.
run_captured <- function(expr) {
  warnings <- character(0)
  value <- NULL
  error <- NULL
  output <- capture.output(
    value <- withCallingHandlers(
      tryCatch(expr, error = function(e) {
        error <<- conditionMessage(e)
        NULL
      }),
      warning = function(w) {
        warnings <<- c(warnings, conditionMessage(w))
        invokeRestart("muffleWarning")
      },
      message = function(m) {
        warnings <<- c(warnings, sub("\n$", "", conditionMessage(m)))
        invokeRestart("muffleMessage")
      }
    )
  )
  list(value = value, output = output, warnings = warnings, error = error)
}

# What vb() printed: the last iteration of its ELBO table, its verdict, the step size its adaptation chose.
parse_vb_output <- function(lines) {
  lines <- sub("^Chain [0-9]+: ?", "", lines)
  rows <- regmatches(lines, regexec("^\\s*([0-9]+)\\s+(-?[0-9.]+(e[-+]?[0-9]+)?)\\s", lines))
  iters <- as.integer(vapply(rows, function(r) if (length(r) > 1) r[[2]] else NA_character_, ""))
  iterations <- if (all(is.na(iters))) NA_integer_ else max(iters, na.rm = TRUE)
  verdicts <- c(
    "MEAN ELBO CONVERGED", "MEDIAN ELBO CONVERGED", "MAY BE DIVERGING... INSPECT ELBO",
    "The maximum number of iterations is reached! The algorithm may not have converged."
  )
  found <- verdicts[vapply(verdicts, function(v) any(grepl(v, lines, fixed = TRUE)), TRUE)]
  eta_line <- grep("Found best value \\[eta = ", lines, value = TRUE)
  eta <- if (length(eta_line)) as.numeric(sub(".*\\[eta = ([0-9.e+-]+)\\].*", "\\1", eta_line[[1]])) else NA
  list(
    iterations = iterations,
    converged = any(grepl("ELBO CONVERGED", found, fixed = TRUE)),
    message = if (length(found)) paste(found, collapse = "; ") else "",
    eta = eta
  )
}

# vb()'s PSIS diagnostic of q against the posterior (k > 0.7: q is not close enough for importance sampling).
pareto_k <- function(fit) {
  k <- fit@sim$diagnostics$psis$pareto_k
  if (is.null(k)) NA else k
}

summaries <- function(fit, params) {
  draws <- as.matrix(fit)
  missing <- setdiff(params, colnames(draws))
  if (length(missing)) fail("bad-job", sprintf("job.params: the model has no %s", paste(missing, collapse = ", ")))
  draws <- draws[, params, drop = FALSE]
  list(
    names = params,
    mean = unname(colMeans(draws)),
    sd = unname(apply(draws, 2, sd)),
    draws = nrow(draws)
  )
}

compiled <- compiled_model(job$model, job$cache_dir)
data <- as.list(job$data)
params <- as.character(job$params)
seed <- as.integer(job$seed)
base <- list(ok = TRUE, compile_seconds = compiled$seconds, cached_compile_seconds = compiled$cached_seconds,
             rstan_version = rstan_version,
             stan_version = stan_version())

if (algorithm == "log_prob") {
  points <- job$points
  if (!is.matrix(points)) points <- matrix(points, nrow = 1)
  run <- run_captured(sampling(compiled$model, data = data, chains = 0))
  if (!is.null(run$error)) fail("fit", run$error)
  fit <- run$value
  if (get_num_upars(fit) != ncol(points)) {
    fail("bad-job", sprintf("job.points: the model has %d unconstrained parameters, the points %d",
                            get_num_upars(fit), ncol(points)))
  }
  lp <- numeric(nrow(points))
  grad <- matrix(0, nrow(points), ncol(points))
  for (i in seq_len(nrow(points))) {
    g <- grad_log_prob(fit, points[i, ], adjust_transform = TRUE)
    lp[[i]] <- attr(g, "log_prob")
    grad[i, ] <- as.numeric(g)
  }
  write_result(c(base, list(fit_seconds = 0, log_prob = lp, grad_log_prob = grad)))
  quit(status = 0)
}

start <- proc.time()[["elapsed"]]
run <- if (algorithm == "nuts") {
  run_captured(do.call(sampling, c(list(compiled$model, data = data, seed = seed), options)))
} else {
  run_captured(do.call(vb, c(list(compiled$model, data = data, algorithm = algorithm, seed = seed), options)))
}
fit_seconds <- proc.time()[["elapsed"]] - start
# vb() reports some failures by printing them and returning a fit without draws rather than by an error.
if (is.null(run$error) && (is.null(run$value) || run$value@mode != 0L)) {
  run$error <- paste(c("Stan returned no draws", tail(run$output, 5)), collapse = "\n")
}
if (!is.null(run$error)) fail("fit", paste(c(run$error, tail(run$output, 5)), collapse = "\n"))
fit <- run$value
result <- c(base, list(fit_seconds = fit_seconds), summaries(fit, params),
            list(warnings = run$warnings, log = sub("^Chain [0-9]+: ?", "", run$output)))

if (algorithm == "nuts") {
  s <- summary(fit, pars = params)$summary
  # The standard error of each sd: that of the mean of the squared deviations (with their own effective sample
  # size: NUTS estimates means better than variances), by the delta method.
  draws <- as.array(fit, pars = params)
  se_sd <- vapply(params, function(p) {
    x <- draws[, , p]
    sq <- (x - mean(x))^2
    sd(as.vector(sq)) / sqrt(rstan::ess_bulk(sq)) / (2 * sd(as.vector(x)))
  }, 0)
  result <- c(result, list(
    se_mean = unname(s[params, "se_mean"]), se_sd = unname(se_sd), n_eff = unname(s[params, "n_eff"]),
    rhat = unname(s[params, "Rhat"]), iterations = NA, converged = NA, message = ""
  ))
} else {
  parsed <- parse_vb_output(run$output)
  result <- c(result, parsed, list(pareto_k = pareto_k(fit)))
}
write_result(result)
