import type { TreeNode } from './node.js';
import type { TreeState } from './tree-state.js';

/** Walks every node and returns what is inconsistent (empty when all invariants hold; at most 20). O(n). */
export function check(t: TreeState): string[] {
  const { root, nodes } = t;
  const problems: string[] = [];
  const say = (m: string): void => void (problems.length < 20 && problems.push(m));
  for (const s of t.stripeList) {
    if (root.children[s]!.size > t.quota[s]!) say(`root over quota in stripe ${s}`);
    for (const c of root.children[s]!) if (c.parent[s] !== root) say(`root lists ${c.id} in ${s} wrongly`);
  }
  for (const x of nodes.values()) {
    let used = 0;
    for (const s of t.stripeList) {
      used += x.children[s]!.size;
      for (const c of x.children[s]!) if (c.parent[s] !== x) say(`${x.id} lists ${c.id} in ${s} but it has another parent`);
      const p = x.parent[s];
      if (p === null) {
        if (!t.orphans.has(x)) say(`${x.id} orphaned in ${s} but not reported`);
        continue;
      }
      if (!p.children[s]!.has(x)) say(`${x.id}'s parent ${p.id} in ${s} does not list it`);
      if (p !== root && !nodes.has(p.id)) say(`${x.id}'s parent ${p.id} in ${s} has left`);
      if (x.depth[s] !== p.depth[s]! + 1) say(`${x.id} depth ${x.depth[s]} in ${s}, parent ${p.depth[s]}`);
      let size = 1;
      let height = 0;
      for (const c of x.children[s]!) {
        size += c.size[s]!;
        height = Math.max(height, c.height[s]! + 1);
      }
      if (size !== x.size[s] || height !== x.height[s]) say(`${x.id} size/height ${x.size[s]}/${x.height[s]} in ${s}, children say ${size}/${height}`);
      // Walking up must reach the root (or an orphan) within the number of peers: no cycle.
      let steps = 0;
      for (let m: TreeNode | null = p; m !== null && m !== root; m = m.parent[s]!) {
        if (m === x || ++steps > nodes.size) {
          say(`cycle through ${x.id} in stripe ${s}`);
          break;
        }
      }
    }
    if (used !== x.used) say(`${x.id} used ${x.used} but has ${used} children`);
    if (x.used > x.slots) say(`${x.id} has ${x.used} children over ${x.slots} slots`);
    const ps = x.parent.filter((p) => p !== null && p !== root);
    if (new Set(ps).size !== ps.length && !t.dups.has(x)) say(`${x.id} repeats a parent but is not reported`);
  }
  return problems;
}
