// Writes schema.graphql from the code-first schema: `npm run schema`.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchemaSdl } from './index.js';

const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
await writeFile(target, printSchemaSdl());
console.log(`wrote ${target}`);
