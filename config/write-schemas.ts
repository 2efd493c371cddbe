// Regenerates config/schema/*.json from the TypeBox schemas:
//   node --import tsx config/write-schemas.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { publishedSchemas, schemaText } from './published-schemas.js';

const dir = fileURLToPath(new URL('./schema/', import.meta.url));
await mkdir(dir, { recursive: true });
for (const [name, schema] of Object.entries(publishedSchemas())) {
  await writeFile(`${dir}${name}`, schemaText(schema));
  process.stdout.write(`wrote config/schema/${name}\n`);
}
