// Jest 30 in CommonJS mode with @swc/jest. Run with NODE_OPTIONS=--experimental-vm-modules
// (npm test does) so the ESM-only packages (NestJS 12, jose 6) load natively.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@custody/([a-z-]+)$': '<rootDir>/libs/$1/src' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  maxWorkers: 2,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/*/src/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/*/test/**/*.int-spec.ts', '<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      // Each file gets topics of its own (KAFKA_TOPIC_PREFIX), created before and deleted after it.
      testEnvironment: '<rootDir>/test/kafka-environment.js',
      setupFiles: ['reflect-metadata', '<rootDir>/test/setup-env.js'],
      slowTestThreshold: 30,
    },
    {
      ...base,
      displayName: 'helm',
      testMatch: ['<rootDir>/test/helm/**/*.spec.ts'],
    },
  ],
};
