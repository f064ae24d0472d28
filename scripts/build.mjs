// Compiles apps/ and libs/ to dist/ with swc: legacy decorators with metadata
// (NestJS, MikroORM), ES modules, and the @tasklog/* aliases rewritten to
// relative imports so `node dist/apps/<app>/src/main.js` runs as is.
import { readdir, mkdir, writeFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { transformFile } from '@swc/core';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist');

const paths = {
  '@tasklog/domain': ['libs/domain/src/index.ts'],
  '@tasklog/contracts': ['libs/contracts/src/index.ts'],
  '@tasklog/testing': ['libs/testing/src/index.ts'],
  '@tasklog/platform/*': ['libs/platform/*/src/index.ts'],
};

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !/\.spec\.ts$/.test(entry.name)) yield full;
  }
}

async function compile(file) {
  const { code, map } = await transformFile(file, {
    filename: file,
    sourceMaps: true,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2023',
      baseUrl: root,
      paths,
      keepClassNames: true,
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6', resolveFully: true },
  });
  const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
  if (map) await writeFile(`${target}.map`, map);
}

const started = Date.now();
await rm(out, { recursive: true, force: true });
const files = [];
for (const dir of ['apps', 'libs', 'bench']) for await (const f of sources(join(root, dir))) files.push(f);
await Promise.all(files.map(compile));
await writeFile(join(out, 'package.json'), '{ "type": "module" }\n');
process.stderr.write(`build: ${files.length} files → dist/ in ${Date.now() - started} ms\n`);
