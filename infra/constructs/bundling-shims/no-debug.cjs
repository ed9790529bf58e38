/**
 * Stands in for the `debug` package in function bundles (functionBundling's `--alias:debug`). axios' redirect
 * follower traces through `debug`, which prints only when the `DEBUG`
 * environment variable names them: never in the functions, which log through Powertools. The stand-in is that
 * switched-off tracer, without the terminal colour detection and time formatting behind it (about 10 KB).
 *
 * CommonJS, because its users call what `require('debug')` returns directly.
 */
function createDebug() {
  const trace = () => {};
  trace.enabled = false;
  trace.extend = createDebug;
  return trace;
}
createDebug.enable = () => {};
createDebug.disable = () => '';
createDebug.enabled = () => false;
createDebug.default = createDebug;
module.exports = createDebug;
