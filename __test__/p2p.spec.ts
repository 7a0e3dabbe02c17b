import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers/cli.js';

// The issue-7 acceptance run: a coordinator and 20 peers on loopback, every link losing 1% of
// its datagrams in the kernel (nftables in a fresh network namespace), 4 interior peers crashed
// mid-stream 1.5 s apart, then one more leaving gracefully. The run itself is
// __test__/helpers/p2p-run.ts (arguments: peers, stream seconds, crashes, ms between crashes).

// nftables' own binary by its path: node_modules/.bin holds an unrelated `nft`.
const NFT = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((path) => existsSync(path)) ?? 'nft';
/** 1% of UDP to the coordinator/peer ports dropped; the stream's input (19999) and outputs are not. */
const RULE = 'udp dport 20000-20999 numgen random mod 100 == 0 drop';
const SETUP = `ip link set lo up; ok=; for i in 1 2 3 4 5; do
  ${NFT} add table inet t && ${NFT} add chain inet t c "{ type filter hook input priority 0; }" \\
    && ${NFT} add rule inet t c ${RULE} && ${NFT} list ruleset | grep -q "numgen random mod 100" && ok=1 && break
  ${NFT} delete table inet t 2>/dev/null; sleep 0.2
done
[ -n "$ok" ] || { echo "nftables: could not load the loss rule" >&2; exit 97; };`;

function namespaceUnavailable(): string | undefined {
  if (spawnSync('unshare', ['-rn', 'true']).status !== 0) return '`unshare -rn` is not available (no unprivileged user namespaces?)';
  const nft = spawnSync('unshare', ['-rn', 'sh', '-c', `${NFT} add table inet t`]);
  if (nft.status !== 0) return `nft cannot add a table in a namespace (${nft.error?.message ?? nft.stderr.toString().trim()}); install nftables`;
  return undefined;
}

interface SwitchRecord {
  stripe: number;
  reason: string;
  silentMs: number;
  gapMs?: number;
}

interface PeerResult {
  id: string;
  inBudget: number;
  delivered: number;
  unmatched: number;
  p99: number;
  max: number;
  blocksLost: number;
  linkRecovered: number;
  linkRetransmitsReceived: number;
  switches: SwitchRecord[];
  malformed: number;
  backfilledSymbols: number;
  parents: (string | null)[];
}

interface RunResult {
  peers: PeerResult[];
  kills: Array<{ id: string; children: number; atS: number }>;
  left: string;
  rootUploadRatio: number;
  coordinator: { joins: number; leaves: number; crashes: number; moves: number; malformed: number; peers: number };
  shapeAfter: { orphaned: number; maxDepth: number; minDepth: number };
  statePeers: number;
  cpuShare: number;
  wallS: number;
}

const unavailable = namespaceUnavailable();
const e2e = unavailable === undefined ? test : test.skip;
const skipped = unavailable === undefined ? '' : ` (skipped: ${unavailable})`;

e2e(`20 peers at 1% link loss, 4 interior peers crashed and one leaving: every remaining peer gets >= 99.9% within 1 s, the source sends <= 2x${skipped}`, (t) => {
  t.timeout(110_000);
  const script = `${SETUP} exec node --import tsx "$1" 20 14 4 1500`;
  const run = spawnSync('unshare', ['-rn', 'sh', '-c', script, 'sh', join(root, '__test__/helpers/p2p-run.ts')], { cwd: root, encoding: 'utf8', timeout: 100_000 });
  if (run.status !== 0) t.fail(`run failed (${run.status}): ${run.stderr}`);
  const r = JSON.parse(run.stdout) as RunResult;

  t.is(r.kills.length, 4);
  for (const k of r.kills) t.true(k.children > 0, `${k.id} was interior when killed`);
  t.is(r.peers.length, 15, '20 joined, 4 crashed, 1 left');
  t.like(r.coordinator, { joins: 20, leaves: 1, crashes: 4, peers: 15, malformed: 0 });
  t.is(r.statePeers, 15);

  const worst = Math.min(...r.peers.map((p) => p.inBudget));
  t.log(`delivery within the 1 s budget: worst peer ${(worst * 100).toFixed(3)}%; root upload ${r.rootUploadRatio.toFixed(2)}x the stream; CPU ${(r.cpuShare * 100).toFixed(0)}% of one core over ${r.wallS.toFixed(1)} s`);
  const gaps = r.peers.flatMap((p) => p.switches.filter((s) => s.reason === 'silent' && s.gapMs !== undefined).map((s) => s.gapMs!));
  gaps.sort((a, b) => a - b);
  t.log(`tree after: max depth ${r.shapeAfter.maxDepth} (least possible ${r.shapeAfter.minDepth}), orphaned stripes ${r.shapeAfter.orphaned}`);
  t.log(`symbols backfilled to children that switched: ${r.peers.reduce((sum, p) => sum + p.backfilledSymbols, 0)}; moves sent: ${r.coordinator.moves}`);
  if (gaps.length > 0) t.log(`parent switches after silence: ${gaps.length}, gap from the last symbol to the new parent's first: median ${gaps[gaps.length >> 1]!.toFixed(0)} ms, max ${gaps[gaps.length - 1]!.toFixed(0)} ms`);
  for (const p of r.peers) {
    const switches = p.switches.map((s) => `${s.reason} s${s.stripe} after ${s.silentMs.toFixed(0)} ms, gap ${s.gapMs?.toFixed(0) ?? '-'} ms`).join('; ');
    t.true(p.inBudget >= 0.999, `${p.id}: ${(p.inBudget * 100).toFixed(3)}% of TS packets within budget (all: ${(p.delivered * 100).toFixed(3)}%, max latency ${p.max.toFixed(0)} ms, blocks lost ${p.blocksLost}; switches: ${switches || 'none'})`);
    t.is(p.unmatched, 0, `${p.id}: every datagram out is one that went in`);
    t.is(p.malformed, 0);
    t.true(p.parents.every((x) => x !== null), `${p.id} has a parent in every stripe at the end: ${p.parents.join(',')}`);
  }
  t.true(r.rootUploadRatio <= 2, `root upload ${r.rootUploadRatio.toFixed(3)}x`);
  t.true(r.rootUploadRatio >= 4 / 3, 'the root sends at least one copy of every stripe');
  // The loss was real: links repaired symbols (FEC or NACK) on the way.
  const repaired = r.peers.reduce((sum, p) => sum + p.linkRecovered + p.linkRetransmitsReceived, 0);
  t.true(repaired > 100, `link repairs ${repaired}`);
  // Children of the crashed peers noticed within about 300 ms and switched.
  const silentSwitches = r.peers.flatMap((p) => p.switches.filter((s) => s.reason === 'silent'));
  t.true(silentSwitches.length >= 4, `${silentSwitches.length} switches after silence`);
  for (const s of silentSwitches) t.true(s.silentMs < 450, `switched after ${s.silentMs.toFixed(0)} ms of silence`);
});
