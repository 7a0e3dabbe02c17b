import test from 'ava'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { root } from './helpers/cli.js'

// The container demo's topology without Docker: client, proxy and server in three network
// namespaces joined by veth pairs, the proxy the only path (scripts/netns-demo.sh).
const canNamespace = spawnSync('unshare', ['-rn', 'true']).status === 0 || process.getuid?.() === 0

;(canNamespace ? test : test.skip)('netns demo: ffmpeg video through client, lossy proxy and server namespaces arrives whole', (t) => {
  const result = spawnSync(join(root, 'scripts/netns-demo.sh'), ['--duration', '3', '--loss', '5'], { encoding: 'utf8', timeout: 90_000 })
  t.is(result.status, 0, result.stderr)
  t.regex(result.stderr, /loss=[1-9]\d*/, 'the proxy dropped packets')
  t.regex(result.stderr, /, 0 dropped/)
  t.regex(result.stderr, /ffmpeg decode errors: 0/)
})
