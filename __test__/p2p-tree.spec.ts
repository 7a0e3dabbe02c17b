import test from 'ava';
import { createRng, type Rng } from '../src/proxy/prng.js';
import { createPlacementTree, packedDepth, ROOT, type PlacementTreeImpl } from '../src/p2p/tree/index.js';

/** Checks the invariants through the public API only (independent of the tree's own check()). */
function invariants(tree: PlacementTreeImpl, slots: ReadonlyMap<string, number>, rootSlots: number): string[] {
  const problems: string[] = [];
  const S = tree.stripes;
  let orphaned = 0;
  let rootUsed = 0;
  for (let s = 0; s < S; s++) rootUsed += tree.childrenOf(ROOT, s).length;
  if (rootUsed > rootSlots) problems.push(`root sends ${rootUsed} copies over ${rootSlots} slots`);
  for (const id of tree.peers()) {
    let used = 0;
    let missing = false;
    const parents: string[] = [];
    for (let s = 0; s < S; s++) {
      used += tree.childrenOf(id, s).length;
      const p = tree.parentOf(id, s);
      if (p === null) {
        missing = true;
        continue;
      }
      if (p !== ROOT) parents.push(p);
      if (!tree.childrenOf(p, s).includes(id)) problems.push(`${id}: parent ${p} in ${s} does not list it`);
      // No cycle: walking up reaches the root within the population (or stops at an orphan).
      let steps = 0;
      let at: string | null = p;
      while (at !== null && at !== ROOT) {
        if (at === id || ++steps > slots.size) {
          problems.push(`${id}: cycle in stripe ${s}`);
          break;
        }
        at = tree.parentOf(at, s);
      }
      if (at === ROOT && tree.depthOf(id, s) !== steps + 1) problems.push(`${id}: depth ${tree.depthOf(id, s)} in ${s}, path ${steps + 1}`);
    }
    if (missing) orphaned++;
    if (used > slots.get(id)!) problems.push(`${id}: ${used} children over ${slots.get(id)} slots`);
    if (new Set(parents).size !== parents.length && tree.duplicates() === 0) problems.push(`${id}: repeated parent not reported`);
  }
  if (orphaned !== tree.shape().orphaned) problems.push(`orphaned ${orphaned}, shape says ${tree.shape().orphaned}`);
  return problems;
}

interface World {
  tree: PlacementTreeImpl;
  slots: Map<string, number>;
  ids: string[];
  next: number;
  rng: Rng;
}

function world(seed: number, stripes = 4, rootSlots = 4): World {
  return { tree: createPlacementTree({ stripes, rootSlots }), slots: new Map(), ids: [], next: 0, rng: createRng(seed) };
}

function join(w: World): string {
  const id = `p${w.next++}`;
  const slots = w.rng() < 0.05 ? 0 : w.rng() < 0.45 ? 4 : 5;
  w.slots.set(id, slots);
  w.ids.push(id);
  w.tree.join({ id, slots, rttMs: 10 + w.rng() * 200 });
  return id;
}

function pick(w: World): string {
  const i = Math.floor(w.rng() * w.ids.length);
  const id = w.ids[i]!;
  w.ids[i] = w.ids[w.ids.length - 1]!;
  w.ids.pop();
  w.slots.delete(id);
  return id;
}

/** A crash as the peers see it: each child reports its silent parent (or switches to a backup), then the coordinator drops it. */
function crash(w: World, id: string): void {
  const { tree } = w;
  for (let s = 0; s < tree.stripes; s++) {
    for (const child of tree.childrenOf(id, s)) {
      const backup = tree.backupsOf(child, s).find((b) => b !== id && tree.canAttach(child, s, b));
      if (backup !== undefined && w.rng() < 0.5) tree.attach(child, s, backup);
      tree.parentLost(child, s, id);
    }
  }
  tree.leave(id);
}

test('rejects settings it cannot honour', (t) => {
  t.throws(() => createPlacementTree({ stripes: 4, rootSlots: 3 }), { instanceOf: RangeError });
  t.throws(() => createPlacementTree({ stripes: 0, rootSlots: 3 }), { instanceOf: RangeError });
  const tree = createPlacementTree({ stripes: 2, rootSlots: 2 });
  tree.join({ id: 'a', slots: 4, rttMs: 10 });
  t.throws(() => tree.join({ id: 'a', slots: 4, rttMs: 10 }), { instanceOf: RangeError });
  t.throws(() => tree.join({ id: ROOT, slots: 4, rttMs: 10 }), { instanceOf: RangeError });
  t.throws(() => tree.join({ id: 'b', slots: -1, rttMs: 10 }), { instanceOf: RangeError });
});

test('packed depth: the breadth-first bound, by hand', (t) => {
  // Level 1: the root's one slot holds a home peer (4 slots); level 2: 2 home peers + 2 leaves;
  // level 3: the last 5 leaves under those two home peers' 8 slots.
  t.is(packedDepth(1, new Map([[4, 3]]), 10), 3);
  t.is(packedDepth(1, new Map([[4, 1]]), 1), 1);
  t.is(packedDepth(1, new Map([[4, 1]]), 5), 2);
  t.is(packedDepth(1, new Map([[4, 1]]), 6), Infinity);
  t.is(packedDepth(2, new Map([[5, 1], [2, 1]]), 9), 2);
  t.is(packedDepth(1, new Map(), 2), Infinity);
  t.is(packedDepth(4, new Map(), 0), 0);
});

test('bootstrap: the first peer takes the root in every stripe, the next ones push it down', (t) => {
  const tree = createPlacementTree({ stripes: 2, rootSlots: 2 });
  const a = tree.join({ id: 'a', slots: 4, rttMs: 20 });
  t.is(a.homeStripe, 0);
  t.deepEqual(a.parents.map((p) => p.parent), [ROOT, ROOT]);
  t.is(a.moves, undefined);
  // b's home is stripe 1 (no home slots there); it takes the root's slot and adopts a.
  const b = tree.join({ id: 'b', slots: 4, rttMs: 30 });
  t.is(b.homeStripe, 1);
  t.deepEqual(b.moves, [{ child: 'a', stripe: 1, from: ROOT, to: 'b' }]);
  t.is(tree.parentOf('b', 1), ROOT);
  t.is(tree.parentOf('a', 1), 'b');
  t.is(tree.parentOf('b', 0), 'a');
  t.is(tree.shape().rootChildren, 2);
  for (let i = 0; i < 20; i++) tree.join({ id: `c${i}`, slots: 4, rttMs: 10 + i });
  tree.rebalance(1000);
  const shape = tree.shape();
  t.is(shape.rootChildren, 2, 'the root never sends more than its slots');
  t.is(shape.orphaned, 0);
  t.is(tree.duplicates(), 0, 'with enough peers, parents are distinct');
  t.deepEqual(tree.check(), []);
});

test('push-down: a forwarder joining a full stripe takes a shallow leaf place and adopts the leaf', (t) => {
  const w = world(7, 4, 4);
  for (let i = 0; i < 200; i++) join(w);
  w.tree.rebalance(10_000);
  // Find what the next join does: it must either use a free home slot or push a non-home peer down.
  let pushed = 0;
  for (let i = 0; i < 200; i++) {
    const id = `n${i}`;
    w.slots.set(id, 5);
    w.ids.push(id);
    const placement = w.tree.join({ id, slots: 5, rttMs: 50 });
    for (const mv of placement.moves ?? []) {
      pushed++;
      t.is(mv.to, id, 'the displaced peer moves under the newcomer');
      t.is(mv.stripe, placement.homeStripe, 'push-down happens only in the home stripe');
      t.not(w.tree.homeOf(mv.child), mv.stripe, 'only a non-forwarder is displaced');
      t.is(w.tree.parentOf(mv.child, mv.stripe), id);
      t.is(w.tree.depthOf(id, mv.stripe), w.tree.depthOf(mv.child, mv.stripe) - 1);
    }
  }
  t.true(pushed > 0, 'some joins pushed a leaf down');
  t.deepEqual(invariants(w.tree, w.slots, 4), []);
});

test('a leave of an interior peer moves only its direct children, one move each', (t) => {
  const w = world(11);
  for (let i = 0; i < 3000; i++) join(w);
  w.tree.rebalance(100_000);
  const { tree } = w;
  let checked = 0;
  for (const x of [...w.ids]) {
    const h = tree.homeOf(x);
    if (tree.depthOf(x, h) < 2 || tree.childrenOf(x, h).length < 3) continue;
    const kids = new Set<string>();
    for (let s = 0; s < tree.stripes; s++) for (const c of tree.childrenOf(x, s)) kids.add(`${c}|${s}`);
    const grandchildren = tree.childrenOf(x, h).flatMap((c) => tree.childrenOf(c, h).map((g) => [g, c] as const));
    const oldParent = tree.parentOf(x, h);
    const oldDepth = tree.depthOf(x, h);
    w.ids.splice(w.ids.indexOf(x), 1);
    w.slots.delete(x);
    const moves = tree.leave(x);
    t.is(moves.length, kids.size, 'one move per lost slot');
    for (const mv of moves) {
      t.true(kids.has(`${mv.child}|${mv.stripe}`), `${mv.child} was a direct child`);
      t.is(mv.from, x);
    }
    // The heir took x's slot: same parent, same depth; the grandchildren kept their parents.
    const heir = moves.find((m) => m.stripe === h && m.to === oldParent);
    t.truthy(heir, 'a home child was promoted into the slot');
    t.is(tree.depthOf(heir!.child, h), oldDepth);
    for (const [g, c] of grandchildren) if (c !== x) t.is(tree.parentOf(g, h), c);
    t.deepEqual(invariants(tree, w.slots, 4), []);
    if (++checked >= 5) break;
  }
  t.is(checked, 5);
});

test('random joins, leaves and crashes keep every invariant; rebalance brings depth within 2x of the minimum', (t) => {
  for (const seed of [1, 2, 3]) {
    const w = world(seed);
    for (let i = 0; i < 1500; i++) join(w);
    t.deepEqual(invariants(w.tree, w.slots, 4), [], `seed ${seed} after the joins`);
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 40; i++) {
        const r = w.rng();
        if (r < 0.35) w.tree.leave(pick(w));
        else if (r < 0.7) crash(w, pick(w));
        else join(w);
        if (w.ids.length < 1200) join(w);
      }
      w.tree.rebalance(20);
      const problems = [...invariants(w.tree, w.slots, 4), ...w.tree.check()];
      if (problems.length > 0) return t.fail(`seed ${seed} round ${round}: ${problems.slice(0, 3).join('; ')}`);
    }
    w.tree.rebalance(100_000);
    const shape = w.tree.shape();
    t.is(shape.orphaned, 0, `seed ${seed}: nobody orphaned`);
    t.is(w.tree.duplicates(), 0, `seed ${seed}: parents distinct`);
    t.true(shape.maxDepth <= 2 * shape.minDepth, `seed ${seed}: max depth ${shape.maxDepth} vs min ${shape.minDepth}`);
    t.is(shape.rootChildren, 4);
    t.deepEqual(w.tree.check(), []);
  }
});

test('rebalance respects its budget and reduces depth after deep damage', (t) => {
  const w = world(5);
  for (let i = 0; i < 4000; i++) join(w);
  // Crash the shallowest forwarders: their subtrees must go somewhere, deeper.
  for (let s = 0; s < 4; s++) {
    for (const top of w.tree.childrenOf(ROOT, s)) {
      for (const c of w.tree.childrenOf(top, s)) {
        if (!w.ids.includes(c)) continue;
        w.ids.splice(w.ids.indexOf(c), 1);
        w.slots.delete(c);
        crash(w, c);
      }
    }
  }
  const before = w.tree.shape();
  const moves = w.tree.rebalance(7);
  t.true(moves.length <= 7);
  let after = w.tree.shape();
  for (let i = 0; i < 200 && after.maxDepth > after.minDepth + 1; i++) {
    w.tree.rebalance(50);
    after = w.tree.shape();
  }
  t.true(after.maxDepth <= before.maxDepth);
  t.true(after.maxDepth <= 2 * after.minDepth, `max ${after.maxDepth} min ${after.minDepth} (before: ${before.maxDepth})`);
  t.deepEqual(invariants(w.tree, w.slots, 4), []);
});

test('parentLost and attach never create a cycle, a repeated parent or an overfull parent', (t) => {
  const w = world(9);
  for (let i = 0; i < 800; i++) join(w);
  const { tree } = w;
  let refused = 0;
  for (const x of w.ids.slice(0, 300)) {
    const h = tree.homeOf(x);
    // Attaching x under one of its own descendants must be refused.
    const kids = tree.childrenOf(x, h);
    if (kids.length > 0) {
      const before = tree.parentOf(x, h);
      t.false(tree.canAttach(x, h, kids[0]!));
      tree.attach(x, h, kids[0]!);
      t.is(tree.parentOf(x, h), before);
      refused++;
    }
    const s = (h + 1) % tree.stripes;
    const lost = tree.parentOf(x, s)!;
    const answer = tree.parentLost(x, s, lost);
    tree.heard(lost); // the "silent" parent was alive (a link fault): it may take children again
    t.truthy(answer);
    t.not(answer!.parent, lost, 'the silent parent is not handed back');
    t.is(tree.parentOf(x, s), answer!.parent);
    for (const b of answer!.backups) t.not(b, answer!.parent);
    // A stale report (the parent already changed) returns the current parent unchanged.
    t.is(tree.parentLost(x, s, lost)?.parent, answer!.parent);
    tree.heard(lost);
  }
  t.true(refused > 0);
  t.deepEqual(invariants(tree, w.slots, 4), []);
  t.deepEqual(tree.check(), []);
});

test('50,000 peers and 20,000 churn events place in seconds', (t) => {
  const w = world(3);
  const started = Date.now();
  for (let i = 0; i < 50_000; i++) join(w);
  for (let i = 0; i < 10_000; i++) {
    w.tree.leave(pick(w));
    join(w);
    if (i % 100 === 0) w.tree.rebalance(500);
  }
  const ms = Date.now() - started;
  const shape = w.tree.shape();
  t.log(`${ms} ms`, shape);
  t.true(ms < 60_000, `${ms} ms`);
  t.is(shape.peers, 50_000);
  t.true(shape.maxDepth <= 2 * shape.minDepth);
});

test('a parent reported silent gets no new children, and its forwarding child takes its slot', (t) => {
  const w = world(13);
  for (let i = 0; i < 2000; i++) join(w);
  w.tree.rebalance(100_000);
  const { tree } = w;
  // A forwarder x at depth >= 2 whose home child c forwards too.
  const x = w.ids.find((id) => {
    const h = tree.homeOf(id);
    return tree.depthOf(id, h) >= 2 && tree.childrenOf(id, h).some((c) => tree.homeOf(c) === h && tree.childrenOf(c, h).length > 0);
  })!;
  const h = tree.homeOf(x);
  const gp = tree.parentOf(x, h)!;
  const c = tree.childrenOf(x, h).find((k) => tree.homeOf(k) === h && tree.childrenOf(k, h).length > 0)!;
  const grandchildren = tree.childrenOf(c, h);
  const depth = tree.depthOf(x, h);
  const answer = tree.parentLost(c, h, x);
  t.is(answer?.parent, gp, 'the reporting forwarder takes the silent parent slot');
  t.is(tree.depthOf(c, h), depth);
  t.deepEqual(tree.childrenOf(c, h), grandchildren, 'its subtree comes along untouched');
  t.is(tree.parentOf(x, h), null, 'the silent parent is cut from that stripe');
  // Nobody is placed under the suspect any more, in any stripe, and no backups name it.
  for (let i = 0; i < 300; i++) {
    const id = join(w);
    for (let s = 0; s < tree.stripes; s++) {
      t.not(tree.parentOf(id, s), x);
      t.false(tree.backupsOf(id, s).includes(x));
    }
  }
  tree.heard(x); // alive after all: rebalance gives it its stripe back
  tree.rebalance(1000);
  t.not(tree.parentOf(x, h), null);
  t.deepEqual(invariants(tree, w.slots, 4), []);
});
