import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'clients/*/test/**/*.test.ts'],
    // Starts DynamoDB Local and fauxqs once for the whole run and stops them at the end.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Fails a file in which a function sent a DynamoDB request outside its declared table access.
    setupFiles: ['test/helpers/dynamodb-access-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Lambda runs Node 24; the SDK's notice about Node 20 support ending is noise in test output.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  },
});
