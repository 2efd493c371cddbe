import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { publishedSchemas, schemaText } from '../../config/published-schemas.js';

const schemaDir = new URL('../../config/schema/', import.meta.url);
const read = (name: string) => readFileSync(fileURLToPath(new URL(name, schemaDir)), 'utf8');

t.test('the committed JSON Schemas are what write-schemas.ts generates now', async (t) => {
  for (const [name, schema] of Object.entries(publishedSchemas())) {
    t.equal(read(name), schemaText(schema), `${name} is fresh (run: node --import tsx config/write-schemas.ts)`);
  }
});

t.test('editors can use them: they compile and judge the examples', async (t) => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const manifest = ajv.compile(JSON.parse(read('manifest.schema.json')));
  const cloud = ajv.compile(JSON.parse(read('cloud.schema.json')));
  const profile = ajv.compile(JSON.parse(read('profile.schema.json')));
  const example = (name: string) => parse(readFileSync(fileURLToPath(new URL(`../../config/examples/${name}`, import.meta.url)), 'utf8'));

  t.ok(manifest(example('pole.yaml')), JSON.stringify(manifest.errors));
  t.ok(cloud(example('cloud.yaml')), JSON.stringify(cloud.errors));
  t.ok(profile({ name: 'p', metrics: [{ name: 'a', table: 'holding', address: 0 }] }));

  const typo = example('pole.yaml');
  typo.devices[0].unitid = typo.devices[0].unitId;
  delete typo.devices[0].unitId;
  t.notOk(manifest(typo), 'a modbus device option typo is caught through if/then on driver');
  const vendor = example('pole.yaml');
  vendor.devices.push({ id: 'radar-1', driver: './vendor/radar.js', rangeM: 80 });
  t.ok(manifest(vendor), 'vendor drivers keep their own keys');
});
