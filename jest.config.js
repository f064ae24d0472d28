// Three tiers, told apart by file name (STYLE.md): *.unit.spec.ts need no
// infrastructure; *.int.spec.ts and *.e2e.spec.ts run against the real Kafka,
// PostgreSQL and Redis, which the global setup brings up when they are down.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2023',
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const moduleNameMapper = {
  '^@tasklog/domain$': '<rootDir>/libs/domain/src/index.ts',
  '^@tasklog/contracts$': '<rootDir>/libs/contracts/src/index.ts',
  '^@tasklog/testing$': '<rootDir>/libs/testing/src/index.ts',
  '^@tasklog/platform/([a-z-]+)$': '<rootDir>/libs/platform/$1/src/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const base = {
  rootDir: import.meta.dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tools/'],
};

export default {
  // A test file whose failed setup left a client connected must not keep the
  // run (and CI) waiting after the results are in; jest still reports the
  // leak ("did not exit one second after").
  forceExit: true,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/infra.global-setup.ts',
      slowTestThreshold: 30,
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-timeout.setup.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/infra.global-setup.ts',
      slowTestThreshold: 60,
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-timeout.setup.ts'],
    },
  ],
};
