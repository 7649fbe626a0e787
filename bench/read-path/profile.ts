import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { GraphqlLoadDriver } from '../shared/graphql-load-driver.js';
import type { BenchCase } from './requests.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/**
 * `--profile <case>`: runs one case against Threadline only, under the V8 CPU profiler of this
 * process (both servers live here; the floor sits idle), writes the .cpuprofile (open it in
 * Chrome DevTools) and prints where the self time went, by function and by package. This is how
 * the read path's costs were found before changing it (issue 9: profile first).
 */
export async function profileCase(driver: GraphqlLoadDriver, url: string, benchCase: BenchCase, durationSec: number, file: string): Promise<void> {
  const job = { name: `profile ${benchCase.name}`, url, connections: 8, durationSec, requests: benchCase.requests };
  await driver.run({ ...job, durationSec: 3 });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = await driver.run(job);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  await writeFile(file, JSON.stringify(profile));
  console.log(`${benchCase.name}: ${result.requestsPerSec.toFixed(0)} rps under the profiler; wrote ${file}`);
  printSelfTime(profile);
}

function printSelfTime(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}` : '(native)';
    const key = `${frame.functionName || '(anonymous)'} ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1] ?? (frame.url.includes('/dist/') ? 'threadline' : frame.functionName || '(native)');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const top = (counts: Map<string, number>, n: number) =>
    [...counts].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, count]) => `  ${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
  console.log(`self time by package:\n${top(byPackage, 15)}\nself time by function:\n${top(byFunction, 40)}`);
}
