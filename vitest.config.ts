import { defineConfig } from 'vitest/config';

// Three suites: unit (fast, no services, no ../shared data), replay (end-to-end over the bundled
// sample), integration (real data under ../shared/data and real services started by infra/).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['{operators,sources,sinks,schemas,models,runtime,api,pipelines,bin}/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      { test: { name: 'replay', include: ['test/replay/**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 300_000, globalSetup: ['test/integration/global-setup.ts'] } },
    ],
  },
});
