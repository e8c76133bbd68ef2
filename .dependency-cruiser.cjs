/**
 * The architecture, as rules a machine checks (`npm run lint:boundaries`):
 * the domain decides, storage remembers, http translates, and each layer knows only the ones
 * beneath it. Type-only imports count: a type names the module it comes from just as a value does.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain',
      comment:
        'The domain decides and owns its ports; storage, archive, http, worker, signing and the wiring implement or call them. ' +
        'A domain module that imports one of them has taken on its job.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'domain-does-no-io',
      comment:
        'The domain reaches files, sockets and processes only through its ports, so a unit suite can drive it in memory. ' +
        'Libraries may lend it types for its port signatures (type-only imports), nothing that runs.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        dependencyTypesNot: ['type-only'],
        pathNot: '^(node:)?(crypto|util)$',
      },
    },
    {
      name: 'http-not-to-storage',
      comment: 'http translates requests into calls on the domain; what storage remembers reaches it only through the domain.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/storage/' },
    },
    {
      name: 'http-not-to-wiring',
      comment: 'Route plugins receive the narrow dependencies they use as plugin options; app.ts wires them and nothing imports it back.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'http-not-to-calibrate',
      comment:
        'The calibration tool records and judges a vendor against the contract; the contract (vendor profile, bodies) does not live in it, ' +
        'so http and config read the contract, never calibrate/.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/calibrate/' },
    },
    {
      name: 'worker-not-to-storage',
      comment: 'The worker takes work and records outcomes through the domain’s work-queue port, not the store behind it.',
      severity: 'error',
      from: { path: '^src/worker/' },
      to: { path: '^src/storage/' },
    },
    {
      name: 'worker-not-to-signing-internals',
      comment:
        'The worker seals through the Signer interface (signing/signer.ts) and names outputs from the one formats table (signing/formats.ts); ' +
        'how a format is signed or validated stays inside signing/.',
      severity: 'error',
      from: { path: '^src/worker/' },
      to: { path: '^src/signing/', pathNot: '^src/signing/(signer|formats)\\.ts$' },
    },
    {
      name: 'signing-archive-not-to-http',
      comment: 'Sealing and ZIP handling know nothing of HTTP: they are used by the worker, the CLI and tests without a server.',
      severity: 'error',
      from: { path: '^src/(signing|archive)/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one: neither can be read, tested or replaced without the other.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-dev-dependencies',
      comment: 'What src/ imports at run time must be a dependency, or the published package breaks for its users.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'src-not-to-undeclared-packages',
      comment: 'Every package src/ imports is declared in package.json.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing fails at run time.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|scripts/bench/node_modules|test/sdk)/' },
    tsPreCompilationDeps: true,
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
