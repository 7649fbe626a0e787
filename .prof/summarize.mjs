import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
const dt = new Map(); p.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
let total = 0;
for (const n of p.nodes) { const t = dt.get(n.id) ?? 0; total += t; const f = n.callFrame; const key = `${f.functionName || '(anon)'} ${f.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '')}:${f.lineNumber}`; self.set(key, (self.get(key) ?? 0) + t); }
const byFile = new Map();
for (const [k, v] of self) { const file = k.split(' ')[1]?.split(':')[0]?.replace(/^(nm\/(@[^/]+\/)?[^/]+).*/, '$1') ?? '?'; byFile.set(file, (byFile.get(file) ?? 0) + v); }
console.log('--- by package/file');
[...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25).forEach(([k, v]) => console.log((100 * v / total).toFixed(1).padStart(5), k));
console.log('--- by function');
[...self].sort((a, b) => b[1] - a[1]).slice(0, 35).forEach(([k, v]) => console.log((100 * v / total).toFixed(1).padStart(5), k));
