import { createFakeEngine } from '../support/fake-engine.js';
import { describeEngineContract } from './engine-contract.js';

describeEngineContract('in-memory fake', () => {
  const fake = createFakeEngine({
    'web:1': { exposedTcpPorts: [8080] },
    'crash:1': { exposedTcpPorts: [8080], web: { exitCode: 3, output: 'crashing now\n' } },
    'never:1': { exposedTcpPorts: [8080], web: 'never-ready' },
  });
  return Promise.resolve({
    engine: fake.engine,
    images: { web: 'web:1', crashing: 'crash:1', neverReady: 'never:1', missing: 'missing:1' },
    port: 8080,
  });
});
