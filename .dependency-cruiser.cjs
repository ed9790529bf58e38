/**
 * The layering of the code (shared/STYLE.md §1 and §4), enforced by `npm run check:layers` (dependency-cruiser) and,
 * without that tool, by test/unit/layering.test.ts, which reads the rules below and applies them to the imports it
 * finds, so both checks hold the same rules, written once here.
 *
 *   shared/domain  ←  shared/use-cases  ←  shared/adapters, shared/http, …  ←  functions/<fn>  ←  infra
 *   clients/<name>/src stands alone (it is what publishers' apps install).
 *
 * Paths are matched relative to the repository root (`#shared/*` and the other subpath imports resolve to them).
 * A package resolves to a path under node_modules, a Node built-in to its name (`crypto` or `node:crypto`).
 *
 * Beyond what dependency-cruiser can express: test/unit/layering.test.ts also checks that the capability folders of
 * shared/use-cases depend on each other without a cycle beyond the known ones it lists.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'shared/domain holds pure rules: it imports only shared/domain, decimal.js for exact arithmetic, and zod ' +
        '(with its one issue formatter, shared/zod-issues.ts) for the contracts of the messages our own functions ' +
        'exchange (usage queue message, alert message), stated once beside their types. zod does no I/O. ' +
        'Time, storage and messaging reach it as values through the use cases.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: {
        pathNot: [
          '^shared/domain/',
          '(^|/)node_modules/decimal\\.js/',
          '(^|/)node_modules/zod/',
          '^shared/zod-issues\\.ts$',
        ],
      },
    },
    {
      name: 'use-cases-depend-inward',
      comment:
        'shared/use-cases imports only shared/domain and shared/use-cases (ports included), and node:crypto for ids ' +
        'and hashes. Technology reaches a use case through its ports, implemented in shared/adapters.',
      severity: 'error',
      from: { path: '^shared/use-cases/' },
      to: { pathNot: ['^shared/(domain|use-cases)/', '^(node:)?crypto$'] },
    },
    {
      name: 'shared-never-imports-the-edges',
      comment:
        'Nothing in shared/ imports functions/, infra/ or test/: those build on shared/, never the reverse. What ' +
        'two functions or a function and infra share belongs in shared/ (e.g. shared/adapters/compose/).',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|infra|test)/' },
    },
    {
      name: 'functions-are-independent',
      comment:
        "A function never imports another function's files: each is bundled and deployed on its own. Move what " +
        'they share into shared/.',
      severity: 'error',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^functions/', pathNot: '^functions/$1/' },
    },
    {
      name: 'functions-never-import-infra-or-tests',
      comment: 'Handlers and composition roots run in Lambda: the CDK app, the local mode and the tests are not there.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(infra|test)/' },
    },
    {
      name: 'infra-never-imports-tests',
      comment: 'infra/ (the CDK app and the local mode) may import functions/ and shared/, never test/.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^test/' },
    },
    {
      name: 'client-stands-alone',
      comment:
        "clients/<name>/src runs in publishers' apps: it imports only its own files and Node built-ins, never the " +
        'server code (shared/, functions/, infra/), the tests or a package, so it installs with nothing else. Its ' +
        'API types come from docs/openapi.json (`npm run client:types`), not from the server code.',
      severity: 'error',
      from: { path: '^clients/([^/]+)/src/' },
      to: {
        path: ['^(shared|functions|infra|test|events)/', '(^|/)node_modules/', '^clients/'],
        pathNot: '^clients/$1/src/',
      },
    },
    {
      name: 'no-circular',
      comment:
        'Modules that import each other at run time load in an order that depends on who imports first. Cycles ' +
        'made only of type imports are left alone: they are erased before the code runs.',
      severity: 'error',
      from: { path: '^(shared|functions|infra|test|clients)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(cdk\\.out|\\.local|coverage)/' },
    // Type-only imports count for the layering: a use case must not even name an adapter's type.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
  },
};
