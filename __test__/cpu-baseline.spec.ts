import test from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// One x86-64 binary for every CPU: the codec picks its SIMD kernel at run time. qemu's user-mode
// emulator models older CPUs and faults on instructions they lack, so the same built addon is run
// as a Westmere (SSSE3, no AVX) and a Haswell (AVX2, no GFNI) would run it.
const script = fileURLToPath(new URL('helpers/codec-digest.mjs', import.meta.url))
const qemu = '/usr/bin/qemu-x86_64'
const x64 = process.arch === 'x64' && process.platform === 'linux'

function digest(cpu?: string): { kernel: string; digest: string } {
  const [file, args] = cpu === undefined ? [process.execPath, [script]] : [qemu, ['-cpu', cpu, process.execPath, script]]
  const out = execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 300_000 })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

const emulated = x64 && existsSync(qemu) ? test : test.skip

emulated('the same binary runs, and computes the same shards, on CPUs without AVX2 or GFNI', (t) => {
  const native = digest()
  const westmere = digest('Westmere')
  const haswell = digest('Haswell')
  t.is(westmere.kernel, 'shuffle-ssse3')
  t.is(haswell.kernel, 'shuffle-avx2')
  t.is(westmere.digest, native.digest, `native ran ${native.kernel}`)
  t.is(haswell.digest, native.digest, `native ran ${native.kernel}`)
})
