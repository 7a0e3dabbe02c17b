import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { platformName } from '../src/native.js'
import { root } from './helpers/cli.js'

// What a user gets from `npm install perfect-socket`: the root package (JS, no binaries) plus
// the one per-platform package npm picks from its optionalDependencies. Both are packed from
// this checkout as the release job packs them, installed into an empty project with no Rust
// toolchain on PATH, and used from there.

const platform = platformName()
const work = mkdtempSync(join(tmpdir(), 'perfect-socket-pack-'))
test.after.always(() => rmSync(work, { recursive: true, force: true }))

/** PATH with only node's own directory and the system's: no cargo, no rustc. */
const bareEnv = { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }

function run(file: string, args: string[], cwd: string): string {
  return execFileSync(file, args, { cwd, env: bareEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 })
}

function pack(dir: string): string {
  const name = run('npm', ['pack', '--silent', '--pack-destination', work], dir).trim().split('\n').at(-1)!
  return join(work, name)
}

/** `napi artifacts` for this one platform: the built binary into a copy of its npm/ package. */
function platformPackage(): string {
  const dir = join(work, 'npm', platform)
  cpSync(join(root, 'npm', platform), dir, { recursive: true })
  copyFileSync(join(root, 'native', `perfect-socket.${platform}.node`), join(dir, `perfect-socket.${platform}.node`))
  return dir
}

const app = join(work, 'app')

test.before(() => {
  const rootTarball = pack(root)
  const binaryTarball = pack(platformPackage())
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  // The other platforms' packages are not published yet; npm skips optional ones it cannot fetch.
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', rootTarball, binaryTarball], app)
})

test('the root tarball carries no binaries and nothing from the build tree', (t) => {
  const listed = run('tar', ['-tzf', join(work, readdirSync(work).find((f) => /^perfect-socket-\d.*\.tgz$/.test(f))!)], work)
  t.false(/\.node$/m.test(listed), listed)
  t.false(/package\/(src|crates|target|__test__)\//.test(listed), listed)
  t.true(listed.includes('package/dist/cli/main.js'))
  t.true(listed.includes('package/native/binding.cjs'))
})

test('no Rust toolchain is on the PATH the install and the checks run with', (t) => {
  t.not(spawnSync('sh', ['-c', 'command -v cargo || command -v rustc'], { env: bareEnv }).status, 0)
})

test('the installed CLI runs: --version names the platform and a live run delivers through the lossy proxy', (t) => {
  const bin = join(app, 'node_modules/.bin/perfect-socket')
  t.regex(run(bin, ['--version'], app), new RegExp(`^perfect-socket \\d+\\.\\d+\\.\\d+ \\(${platform}, codec kernel [a-z0-9-]+\\)`))
  const report = run(bin, ['demo', '--duration', '2s', '--loss', '5%', '--json', join(work, 'demo.json')], app)
  t.regex(report, /protected/)
  const summary = JSON.parse(readFileSync(join(work, 'demo.json'), 'utf8')) as { protected: { report: { deliveredFraction: number } } }
  t.true(summary.protected.report.deliveredFraction >= 0.999, JSON.stringify(summary.protected.report))
})

test('the installed API runs: codec round trip and a socket exchange on loopback', (t) => {
  writeFileSync(join(app, 'check.mjs'), `
    import { Encoder, Decoder, createSocket } from 'perfect-socket'
    const data = [Buffer.from('abcd'), Buffer.from('efgh')]
    const shards = new Encoder(2, 4).encode(data)
    const back = new Decoder(2, 4).decode([shards[3], shards[2]], [3, 2])
    if (Buffer.concat(back).toString() !== 'abcdefgh') throw new Error('codec round trip failed')
    const receiver = createSocket({ type: 'udp4', redundancy: 0.25 })
    const sender = createSocket({ type: 'udp4', redundancy: 0.25 })
    await new Promise((resolve) => receiver.bind(0, '127.0.0.1', resolve))
    const got = []
    const done = new Promise((resolve) => receiver.on('message', (m) => { got.push(m.toString()); if (got.length === 100) resolve() }))
    for (let i = 0; i < 100; i++) sender.send(Buffer.from('line ' + i), receiver.address().port, '127.0.0.1')
    await done
    sender.close(); receiver.close()
    console.log(JSON.stringify({ received: got.length, first: got[0] }))
  `)
  t.deepEqual(JSON.parse(run('node', ['check.mjs'], app)), { received: 100, first: 'line 0' })
})

test('without its platform package the addon fails with an error naming the platform', (t) => {
  const other = join(work, 'missing')
  cpSync(app, other, { recursive: true })
  rmSync(join(other, 'node_modules', `perfect-socket-${platform}`), { recursive: true })
  const result = spawnSync('node', ['-e', "import('perfect-socket').catch((e) => { console.error(e.message); process.exit(3) })"], { cwd: other, env: bareEnv, encoding: 'utf8' })
  t.is(result.status, 3)
  t.regex(result.stderr, new RegExp(`cannot load its native addon for ${platform}: the package perfect-socket-${platform} is not installed`))
})
