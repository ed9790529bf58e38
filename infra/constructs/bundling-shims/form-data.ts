/**
 * Stands in for the `form-data` package in function bundles (functionBundling's `--alias:form-data`). axios imports
 * `form-data` for multipart bodies in Node, and with it `mime-types` and its ~140 KB MIME database; the functions send
 * JSON only, and Node's own FormData (global since Node 18) serves axios wherever it would build a form.
 */
export default globalThis.FormData;
