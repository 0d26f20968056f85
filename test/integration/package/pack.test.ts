/**
 * A package a game project can install: `npm pack` (prepack builds dist/) → a fresh project in
 * the OS temp dir → `npm install <tarball>` → that project imports `worldtick` and
 * `worldtick/client` (ESM), starts a server, and a client joins over a real WebSocket and gets
 * a snapshot. Dependency install scripts are not run (`--ignore-scripts`: npm's strictest
 * policy), so better-sqlite3's native binding is not built there: importing the package must
 * not need it (checked first); then this machine's build of it is copied in, standing in for a
 * studio that allowed its install script. Installs come from the npm cache (`--prefer-offline`); the
 * package's declared dependencies are installed while `npm pack` builds (the two took ~9 and ~11 s
 * one after the other in CI), then the tarball.
 *
 * The dependencies' install is kept between runs (`depsProject`): the same command, with the same
 * flags, for the same dependency list, Node version, platform and npm gives the same tree, and it was
 * about half of this file's CPU (~160 MB of files written, uWebSockets.js's binaries for every
 * platform). The first run with a given list installs it into a folder of the OS temp dir keyed by
 * them; later runs hard-link its files into the fresh project (the project's own manifests and npm's
 * hidden lockfile are copied, as npm rewrites them), and the tarball is installed on top as before.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * The example the smoke script starts: null = a runtime with the default world through the
 * exported API; `'worldtick/examples/arena/main'` = the arena example's entry, spawned with
 * `--port 0 --admin-port 0` (it prints its bound ports as a JSON log line).
 */
const EXAMPLE = 'worldtick/examples/arena/main';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Environment of child npm/node processes: without the repo's package and lifecycle variables
 * that `npm test` exports (npm_config_local_prefix would point npm at the repo); other npm_config_*
 * (registry, cache...) are kept.
 */
const childEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|command$|config_local_prefix$)/i.test(k)));

const run = (cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

const expectOk = (r: Run, what: string): void => {
  expect(r.code, `${what} failed:\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`).toBe(0);
};

const GAME_PACKAGE_JSON = JSON.stringify({ name: 'pack-test-game', version: '1.0.0', private: true, type: 'module' }, null, 2);
/** Flags of every install. With a lockfile: without one (--no-package-lock) the second install re-fetched half the tree. */
const INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];
/** Kept installs of the dependencies older than this are removed when a new one is made. */
const DEPS_KEEP_MS = 24 * 3600_000;

/**
 * A game project with the package's declared dependencies installed (`npm install <name@range...>
 * --prefer-offline --no-audit --no-fund --ignore-scripts` into an empty ESM project): the kept one
 * for this dependency list, Node, npm, platform and flags, or a new one, installed and then renamed
 * into place whole (a run stopped half-way leaves only a temporary folder; two runs at once each
 * install and one rename wins). Returns the folder and whether it was installed now.
 */
const depsProject = async (dependencies: Record<string, string>): Promise<{ dir: string; fresh: boolean; run: Run | null }> => {
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        dependencies,
        node: process.version,
        npm: process.env.npm_config_user_agent?.split(' ')[0] ?? '',
        platform: process.platform,
        arch: process.arch,
        flags: INSTALL_FLAGS,
        pkg: GAME_PACKAGE_JSON,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), `wt-pack-deps-${key}`);
  if (existsSync(join(dir, 'complete'))) return { dir, fresh: false, run: null };
  for (const e of readdirSync(tmpdir())) {
    const p = join(tmpdir(), e);
    if (!e.startsWith('wt-pack-deps-') || p === dir) continue;
    try {
      if (Date.now() - statSync(p).mtimeMs > DEPS_KEEP_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another run
    }
  }
  const building = mkdtempSync(join(tmpdir(), 'wt-pack-deps-tmp-'));
  writeFileSync(join(building, 'package.json'), GAME_PACKAGE_JSON);
  const r = await run(
    'npm',
    ['install', ...Object.entries(dependencies).map(([n, v]) => `${n}@${v}`), ...INSTALL_FLAGS],
    building,
    240_000,
  );
  if (r.code !== 0) {
    rmSync(building, { recursive: true, force: true });
    return { dir, fresh: true, run: r };
  }
  writeFileSync(join(building, 'complete'), '');
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another run put its own in place first
  }
  return { dir, fresh: true, run: r };
};

/** The game project's script: imports both entries, starts the example, joins with the client. */
const SMOKE = `
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as server from 'worldtick';
import { WorldtickClient } from 'worldtick/client';
import WebSocket from 'ws';

const EXAMPLE = ${JSON.stringify(EXAMPLE)};
const result = { exports: Object.keys(server).sort() };
// 1. A game on the public API, in process: the life-sim module's scene worker runs from the
//    package's compiled .js (no tsx loader), and the dashboard's static files ship with it.
{
  const game = server.defineGame({ name: 'pack-smoke', modules: [server.lifeSim()] });
  const running = await server.startServer(game, { argv: ['--port', '0', '--admin-port', '0', '--npcs', '200', '--data-dir', 'data-smoke', '--log-level', 'warn'] });
  result.scene = await running.runtime.scenePool.run({ seed: 1, kind: 1, cellX: 2, cellY: 3, size: 16, octaves: 2 });
  result.dashboard = (await fetch('http://127.0.0.1:' + running.adminPort + '/')).status;
  await running.stop();
}
// 2. The arena example as its own process; a client joins it.
let port;
let worldId = '1';
const child = spawn(process.execPath, [fileURLToPath(import.meta.resolve(EXAMPLE)), '--port', '0', '--admin-port', '0', '--data-dir', 'data-arena'], { stdio: ['ignore', 'pipe', 'inherit'] });
const exited = new Promise((r) => child.on('exit', (code) => r(code)));
for await (const line of createInterface({ input: child.stdout })) {
  let m;
  try { m = JSON.parse(line); } catch { continue; }
  const p = m.port ?? m.gamePort ?? m.ports?.game;
  if (typeof p === 'number' && p > 0) {
    port = p;
    if (typeof (m.world ?? m.worldId) === 'string') worldId = m.world ?? m.worldId;
    break;
  }
}
if (port === undefined) throw new Error('the example printed no port line');
child.stdout.resume();
const stop = async () => { child.kill('SIGINT'); result.exampleExit = await exited; };
const client = new WorldtickClient({ url: 'ws://127.0.0.1:' + port, WebSocket });
await client.connect();
result.welcome = (await client.join(worldId, 'pack-test')).type;
result.snapshotStep = (await client.waitFor((m) => m.type === 17, 15000)).step;
client.close();
await client.closed();
await stop();
console.log('SMOKE ' + JSON.stringify(result));
`;

/** Typechecked against the installed package's declarations (skipLibCheck off). */
const CONSUMER = `
import { defineComponent, defineGame, lifeSim, startServer, type RunningServer } from 'worldtick';
import { WorldtickClient, type ClientOptions } from 'worldtick/client';
const Hp = defineComponent('Hp', { hp: { type: 'u8', default: 100 } });
const game = defineGame({ name: 'consumer', components: [Hp], modules: [lifeSim()] });
export const start = (): Promise<RunningServer> => startServer(game, { argv: ['--port', '0'] });
const opts: ClientOptions = { url: 'ws://127.0.0.1:7700' };
export const client: WorldtickClient = new WorldtickClient(opts);
`;

describe('npm pack → install into a fresh project → example starts, a client joins', () => {
  let tmp = '';
  let project = '';
  let installed = '';
  let sqliteBuiltByInstall = true;
  let importRun: Run = { code: null, stdout: '', stderr: '' };
  let dependencies: Record<string, string> = {};
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'wt-pack-'));
    project = join(tmp, 'game');
    // The package's dependencies as package.json declares them (what npm pack ships; `ws`, the smoke
    // script's client transport, among them) go into the project WHILE npm pack builds: packing is
    // CPU (tsc), installing mostly writes ~160 MB of files (uWebSockets.js ships binaries for every
    // platform), or, kept from an earlier run, hard links to them (see the module doc). The
    // tarball's own install then adds worldtick; the first test checks that its manifest declares
    // exactly these dependencies (what `npm install <tarball>` alone would fetch).
    dependencies = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    expect(dependencies.ws, "ws (the smoke script's client transport) is a dependency").toBeDefined();
    const t0 = performance.now();
    const since = (key: string) => (r: Run) => {
      timings[key] = Math.round(performance.now() - t0);
      return r;
    };
    const [packed, deps] = await Promise.all([
      // Runs prepack (npm run build) in the repo, writes the tarball into tmp.
      run('npm', ['pack', '--pack-destination', tmp], ROOT).then(since('packMs')),
      depsProject(dependencies).then(async (d): Promise<{ run: Run; what: string }> => {
        const what = "npm install <the package's dependencies>";
        if (d.run && d.run.code !== 0) return { run: d.run, what };
        // Hard links to the kept files (npm writes new files and renames; it does not rewrite an
        // installed package's files); the manifests and npm's hidden lockfile, which npm rewrites, copied.
        // Where hard links cannot be made (a cp without -l), a copy (~160 MB).
        mkdirSync(project);
        const modules = [join(d.dir, 'node_modules'), join(project, 'node_modules')];
        let linked = await run('cp', ['-al', ...modules], tmp);
        if (linked.code !== 0) {
          rmSync(modules[1], { recursive: true, force: true });
          linked = await run('cp', ['-a', ...modules], tmp);
        }
        if (linked.code !== 0) return { run: linked, what: `cp -a ${modules[0]} ${modules[1]}` };
        for (const f of ['package.json', 'package-lock.json', 'node_modules/.package-lock.json']) {
          rmSync(join(project, f), { force: true });
          copyFileSync(join(d.dir, f), join(project, f));
        }
        timings[d.fresh ? 'depsInstalledMs' : 'depsLinkedMs'] = Math.round(performance.now() - t0);
        return { run: d.run ?? linked, what };
      }),
    ]);
    expectOk(packed, 'npm pack');
    expectOk(deps.run, deps.what);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tarball, 'npm pack wrote a .tgz').toBeDefined();
    const t = performance.now();
    expectOk(await run('npm', ['install', join(tmp, tarball!), ...INSTALL_FLAGS], project, 240_000), 'npm install <tarball>');
    timings.installMs = Math.round(performance.now() - t);
    installed = join(project, 'node_modules', 'worldtick');
    // Importing must work before better-sqlite3's native binding exists (install scripts blocked).
    sqliteBuiltByInstall = existsSync(join(project, 'node_modules', 'better-sqlite3', 'build'));
    importRun = await run(
      process.execPath,
      ['--input-type=module', '-e', "await import('worldtick'); await import('worldtick/client'); console.log('imported')"],
      project,
      30_000,
    );
    // Then stand in for a studio that allowed better-sqlite3's install script: this machine's
    // build of the same version (the embedded store opens SQLite when a server starts).
    const sqlite = (dir: string) => join(dir, 'node_modules', 'better-sqlite3');
    const version = (dir: string) => (JSON.parse(readFileSync(join(sqlite(dir), 'package.json'), 'utf8')) as { version: string }).version;
    const binding = join('build', 'Release', 'better_sqlite3.node');
    if (existsSync(join(sqlite(ROOT), binding)) && version(ROOT) === version(project)) {
      mkdirSync(join(sqlite(project), 'build', 'Release'), { recursive: true });
      copyFileSync(join(sqlite(ROOT), binding), join(sqlite(project), binding));
    }
  }, 300_000);

  afterAll(() => {
    // Visible in the test output: how long packing, installing and the smoke run took.
    console.log(`pack test timings: ${JSON.stringify(timings)}`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships built JS, declarations and the dashboard assets, not the TypeScript sources or tests', () => {
    for (const f of [
      'package.json',
      'README.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/client/index.js',
      'dist/src/client/index.d.ts',
      'dist/src/cli/main.js',
      'dist/src/content/workers/scene-worker.js',
      'dist/src/admin/dashboard/index.html',
      'dist/src/admin/dashboard/app.js',
      'dist/src/admin/dashboard/panels.js',
      'dist/components/index.js',
      'dist/systems/index.js',
    ]) {
      expect(existsSync(join(installed, f)), f).toBe(true);
    }
    for (const f of ['src', 'test', 'bench', 'tsconfig.json', 'dist/src/index.ts', 'dist/test']) {
      expect(existsSync(join(installed, f)), `${f} is not shipped`).toBe(false);
    }
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './client', './examples/arena', './package.json']));
    // The dependencies installed beside the pack are exactly those the tarball declares.
    expect(pkg.dependencies).toEqual(dependencies);
  });

  it('imports without the native SQLite binding (dependency install scripts were not run); the bin answers --help', async () => {
    expect(sqliteBuiltByInstall, 'better-sqlite3 was not built in the game project').toBe(false);
    expectOk(importRun, "import('worldtick')");
    expect(importRun.stdout).toContain('imported');
    const help = await run(join(project, 'node_modules', '.bin', 'worldtick'), ['--help'], project, 30_000);
    expectOk(help, 'worldtick --help');
    expect(help.stdout).toContain('--port');
  });

  it('the example starts and a client joins over a real WebSocket', async () => {
    writeFileSync(join(project, 'smoke.mjs'), SMOKE);
    const t = performance.now();
    const r = await run(process.execPath, ['smoke.mjs'], project, 60_000);
    timings.smokeMs = Math.round(performance.now() - t);
    expectOk(r, 'smoke.mjs');
    const line = r.stdout.split('\n').find((l) => l.startsWith('SMOKE '));
    expect(line, r.stdout).toBeDefined();
    const result = JSON.parse(line!.slice('SMOKE '.length)) as Record<string, unknown>;
    expect(result.exports).toEqual(expect.arrayContaining(['defineGame', 'defineComponent', 'startServer', 'lifeSim']));
    expect(result.welcome).toBe(16); // MsgType.WELCOME
    expect(result.snapshotStep).toEqual(expect.any(Number));
    expect(result.scene).toMatchObject({ hash: expect.any(Number), props: expect.any(Number) });
    expect(result.dashboard).toBe(200);
    expect(result.exampleExit).toBe(0);
  });

  it("a TypeScript game project typechecks against the package's declarations", async () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expectOk(await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, 60_000), 'tsc (consumer)');
  });
});
