// An edge agent in a child process, for last-will tests and benches. argv[2] is a JSON TestPole;
// prints `connected` once the uplink is up. Run with `node --import tsx` (or from dist/).
import { startEdgeAgent } from '../../edge-agent/agent.js';
import { stopSignal } from '../../cli/run.js';
import { testManifest, type TestPole } from './edge-manifest.js';

const pole = JSON.parse(process.argv[2]!) as TestPole;
const agent = await startEdgeAgent(testManifest(pole));
agent.once('connected', () => process.stdout.write('connected\n'));
await stopSignal();
await agent.close();
