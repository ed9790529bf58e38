/**
 * Imported first by the pipeline benchmarks: the Powertools logger and metrics read these when their module loads,
 * and a benchmark must not spend its time printing an INFO line and an EMF document per request.
 */
Object.assign(process.env, {
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_DEV: 'true',
});
