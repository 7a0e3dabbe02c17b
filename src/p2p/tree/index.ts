/** Placement and repair of the stripe trees: the contract and its implementation. */
export * from './types.js';
export { createPlacementTree, type PlacementTreeConfig, type PlacementTreeImpl } from './placement-tree.js';
export { packedDepth } from './min-depth.js';
