import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Path MTU discovery over a real path: two network namespaces joined by a veth pair whose MTU
// is set at one end (helpers/mtu-path.sh). The answer is the largest UDP payload that crosses:
// the MTU less 20 (IPv4) and 8 (UDP) bytes of headers.
const script = fileURLToPath(new URL('helpers/mtu-path.sh', import.meta.url));
const canNamespace = spawnSync('unshare', ['-rnm', 'true']).status === 0 || process.getuid?.() === 0;

function probe(nearMtu: number, farMtu: number): { pathMtu: number; mtuProbesSent: number } {
  const result = spawnSync(script, [String(nearMtu), String(farMtu)], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`mtu-path.sh failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

(canNamespace ? test : test.skip)('the probe converges to a narrow link further along the path', (t) => {
  const { pathMtu, mtuProbesSent } = probe(1500, 1300);
  // 1300 - 28 = 1272; a veth forwards frames up to 4 bytes over its MTU (room for a VLAN tag).
  t.true(pathMtu >= 1272 && pathMtu <= 1276, `pathMtu ${pathMtu} after ${mtuProbesSent} probes`);
  t.true(mtuProbesSent <= 27);
});

(canNamespace ? test : test.skip)('a narrow first hop: datagrams leave with don\'t-fragment set, so the probe finds it exactly', (t) => {
  // Were datagrams fragmented, 1472-byte probes would arrive in pieces and be answered.
  t.is(probe(1400, 1500).pathMtu, 1372);
});
