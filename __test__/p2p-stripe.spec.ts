import test from 'ava';
import { StripeAssembler } from '../src/p2p/stripe/assembler.js';
import { SymbolCache } from '../src/p2p/stripe/cache.js';
import { StripeEncoder, type EncodedBlock } from '../src/p2p/stripe/encoder.js';
import { blockSymbols, maxSourcesPerBlock, stripeRatio, symbolsOnStripe } from '../src/p2p/stripe/shape.js';
import { parseSymbol, SYMBOL_HEADER, type SymbolHeader } from '../src/p2p/wire/symbol.js';

function datagram(i: number, size = 1316): Buffer {
  const d = Buffer.alloc(size, i & 0xff);
  if (size >= 4) d.writeUInt32BE(i, 0);
  return d;
}

function encodeAll(stripes: number, k: number, sizes: number[]): { blocks: EncodedBlock[]; sources: Buffer[] } {
  const blocks: EncodedBlock[] = [];
  const enc = new StripeEncoder({ stripes, k, blockTimeMs: 30 }, (b) => blocks.push(b));
  const sources = sizes.map((size, i) => datagram(i, size));
  sources.forEach((d, i) => enc.push(d, i, 1000 + i));
  enc.flush();
  return { blocks, sources };
}

/** Feeds symbols into an assembler, returns what it released. */
function assemble(symbols: Buffer[], stripes: number, now = 0): { out: Buffer[]; asm: StripeAssembler } {
  const out: Buffer[] = [];
  const asm = new StripeAssembler({ maxBlocks: 64 }, (d) => out.push(Buffer.from(d)));
  for (const msg of symbols) {
    const h = parseSymbol(msg, stripes)!;
    asm.add(h, msg, 10_000, now);
  }
  return { out, asm };
}

test('shape: n is the least with any S-1 stripes holding k symbols', (t) => {
  t.is(blockSymbols(9, 4), 12);
  t.is(blockSymbols(1, 4), 2);
  t.is(blockSymbols(4, 4), 6);
  t.is(blockSymbols(8, 3), 12);
  t.is(blockSymbols(3, 2), 6);
  for (const S of [2, 3, 4, 5, 8]) {
    for (let k = 1; k <= maxSourcesPerBlock(S); k++) {
      const n = blockSymbols(k, S);
      t.true(n <= 255);
      let total = 0;
      for (let s = 0; s < S; s++) {
        const on = symbolsOnStripe(n, S, s);
        total += on;
        t.true(n - on >= k, `k=${k} S=${S}: losing stripe ${s} leaves ${n - on}`);
      }
      t.is(total, n);
      // Least: one symbol fewer and some stripe's loss leaves fewer than k.
      t.true(n - 1 - Math.ceil((n - 1) / S) < k);
    }
  }
  t.is(stripeRatio(9, 4), 12 / 36);
});

test('encoder: a full block of k, symbol i on stripe i % S, each header checked by the parser', (t) => {
  const { blocks } = encodeAll(4, 9, Array(9).fill(1316));
  t.is(blocks.length, 1);
  const [b] = blocks;
  t.is(b!.symbols.length, 12);
  t.is(b!.sentAt, 1000);
  b!.symbols.forEach((msg, i) => {
    const h = parseSymbol(msg, 4);
    t.deepEqual(h, { kind: 1, stripe: i % 4, k: 9, n: 12, index: i, block: 0, sentAt: 1000 } satisfies SymbolHeader);
    t.is(msg.byteLength, SYMBOL_HEADER + 1318);
  });
});

test('encoder: the time bound closes a short block with its own n; rejects empty and oversized datagrams', (t) => {
  const blocks: EncodedBlock[] = [];
  const enc = new StripeEncoder({ stripes: 4, k: 9, blockTimeMs: 30 }, (b) => blocks.push(b));
  enc.push(datagram(0), 0, 5);
  enc.push(datagram(1), 10, 15);
  t.is(enc.poll(20), 10, 'ms until the bound');
  t.is(blocks.length, 0);
  t.is(enc.poll(30), Infinity);
  t.is(blocks.length, 1);
  t.is(blocks[0]!.symbols.length, blockSymbols(2, 4));
  t.false(enc.push(Buffer.alloc(0), 40, 0));
  t.false(enc.push(Buffer.alloc(1401), 40, 0));
  t.is(enc.counters.oversize, 2);
  t.like(enc.counters, { blocks: 1, shortBlocks: 1, datagramsIn: 2 });
  t.throws(() => new StripeEncoder({ stripes: 1, k: 9, blockTimeMs: 30 }, () => {}), { instanceOf: RangeError, message: /stripes/ });
  t.throws(() => new StripeEncoder({ stripes: 4, k: 200, blockTimeMs: 30 }, () => {}), { instanceOf: RangeError, message: /k must/ });
  t.throws(() => new StripeEncoder({ stripes: 4, k: 9, blockTimeMs: 0 }, () => {}), { instanceOf: RangeError, message: /blockTimeMs/ });
});

test('assembler: any one stripe missing, the datagrams come back exact and in order (varied sizes)', (t) => {
  const sizes = Array.from({ length: 40 }, (_, i) => 1 + ((i * 331) % 1400));
  const { blocks, sources } = encodeAll(4, 9, sizes);
  for (let lost = 0; lost < 4; lost++) {
    const symbols = blocks.flatMap((b) => b.symbols.filter((_, i) => i % 4 !== lost));
    const { out, asm } = assemble(symbols, 4);
    t.deepEqual(out, sources, `stripe ${lost} missing`);
    t.is(asm.counters.blocksDecoded, blocks.length);
    t.is(asm.counters.blocksLost, 0);
  }
});

test('assembler: symbols out of order and duplicated; a block short of k is skipped at its deadline, later ones still come', (t) => {
  const { blocks, sources } = encodeAll(4, 9, Array(27).fill(1316));
  const out: Buffer[] = [];
  const asm = new StripeAssembler({ maxBlocks: 64 }, (d) => out.push(Buffer.from(d)));
  const deadline = [100, 200, 300];
  // Block 0: only 8 symbols (undecodable). Blocks 1 and 2: reversed, with duplicates.
  const feed: Array<[number, Buffer]> = [];
  blocks[0]!.symbols.slice(0, 8).forEach((m) => feed.push([0, m]));
  for (const b of [2, 1]) for (const m of [...blocks[b]!.symbols].reverse()) feed.push([b, m], [b, m]);
  const results = feed.map(([b, m]) => asm.add(parseSymbol(m, 4)!, m, deadline[b]!, 10));
  t.is(results.filter((r) => r === 'new').length, 8 + 24);
  t.is(results.filter((r) => r === 'duplicate').length, 24);
  t.is(out.length, 0, 'blocks 1 and 2 wait for block 0');
  t.is(asm.poll(50), 50);
  asm.poll(100);
  t.deepEqual(out, sources.slice(9), 'block 0 lost, 1 and 2 released in order');
  t.like(asm.counters, { blocksLost: 1, blocksDecoded: 2 });
  // A late symbol of block 0 is stale; a symbol past its deadline too.
  t.is(asm.add(parseSymbol(blocks[0]!.symbols[8]!, 4)!, blocks[0]!.symbols[8]!, 100, 120), 'stale');
});

test('assembler: a block missing entirely is skipped once a later block is near its deadline', (t) => {
  const { blocks, sources } = encodeAll(4, 9, Array(27).fill(1316));
  const out: Buffer[] = [];
  const asm = new StripeAssembler({ maxBlocks: 64 }, (d) => out.push(Buffer.from(d)));
  for (const m of blocks[0]!.symbols) asm.add(parseSymbol(m, 4)!, m, 100, 0);
  for (const m of blocks[2]!.symbols) asm.add(parseSymbol(m, 4)!, m, 300, 0);
  t.is(out.length, 9);
  asm.poll(199);
  t.is(out.length, 9, 'block 1 might still come');
  asm.poll(200);
  t.deepEqual(out, [...sources.slice(0, 9), ...sources.slice(18)]);
  t.is(asm.counters.blocksLost, 1);
});

test('assembler: blocks far ahead are out of window; the window stays bounded', (t) => {
  const blocks: EncodedBlock[] = [];
  const enc = new StripeEncoder({ stripes: 2, k: 1, blockTimeMs: 30 }, (b) => blocks.push(b));
  for (let i = 0; i < 40; i++) enc.push(datagram(i, 100), i, i);
  const out: Buffer[] = [];
  const asm = new StripeAssembler({ maxBlocks: 8 }, (d) => out.push(d));
  const first = blocks[0]!.symbols[0]!;
  asm.add(parseSymbol(first, 2)!, first, 1000, 0);
  const far = blocks[20]!.symbols[0]!;
  t.is(asm.add(parseSymbol(far, 2)!, far, 1000, 0), 'outOfWindow');
  for (const b of blocks.slice(1, 30)) for (const m of b.symbols) asm.add(parseSymbol(m, 2)!, m, 1000, 0);
  t.true(asm.blocksHeld <= 9, `${asm.blocksHeld} held`);
  t.is(asm.counters.outOfWindow, 1);
  t.is(out.length, 30, 'blocks 0..29, released as the window moved');
});

test('assembler: a symbol that contradicts its block is counted, not used', (t) => {
  const { blocks } = encodeAll(4, 9, Array(9).fill(1316));
  const asm = new StripeAssembler({ maxBlocks: 8 }, () => {});
  const a = blocks[0]!.symbols[0]!;
  asm.add(parseSymbol(a, 4)!, a, 100, 0);
  const shorter = Buffer.from(blocks[0]!.symbols[1]!.subarray(0, 500));
  t.is(asm.add(parseSymbol(shorter, 4)!, shorter, 100, 0), 'inconsistent');
  t.is(asm.counters.inconsistent, 1);
  t.throws(() => new StripeAssembler({ maxBlocks: 1 }, () => {}), { instanceOf: RangeError, message: /maxBlocks/ });
});

test('cache: a backfill is the stripe\'s symbols from a block on, unexpired, bounded, across the u32 wrap', (t) => {
  const cache = new SymbolCache(2, 4);
  const sym = (n: number) => Buffer.from([n]);
  cache.add(0, 0xffff_fffe, sym(1), 100);
  cache.add(0, 0xffff_ffff, sym(2), 200);
  cache.add(0, 0, sym(3), 300);
  cache.add(1, 0, sym(9), 300);
  t.deepEqual(cache.since(0, 0xffff_ffff, 50).map((b) => b[0]), [2, 3], 'from before the wrap to after it');
  t.deepEqual(cache.since(0, 0xffff_fffe, 150).map((b) => b[0]), [2, 3], 'the first expired at 100');
  t.deepEqual(cache.since(1, 0, 0).map((b) => b[0]), [9]);
  for (let i = 1; i <= 6; i++) cache.add(0, i, sym(10 + i), 1000);
  t.deepEqual(cache.since(0, 0, 250).map((b) => b[0]), [13, 14, 15, 16], 'at most 4 kept');
  const source = Buffer.from([7]);
  cache.add(1, 5, source, 1000);
  source[0] = 8;
  t.is(cache.since(1, 5, 0)[0]![0], 7, 'a copy: the delivery batch may be reused');
  t.deepEqual(cache.since(5, 0, 0), []);
});

test('assembler: a decoded block not released by its deadline (a stalled loop) is late and dropped, not delivered', (t) => {
  const { blocks } = encodeAll(4, 9, Array(18).fill(1316));
  const out: Buffer[] = [];
  const asm = new StripeAssembler({ maxBlocks: 64 }, (d) => out.push(Buffer.from(d)));
  for (const m of blocks[0]!.symbols.slice(0, 8)) asm.add(parseSymbol(m, 4)!, m, 100, 0);
  for (const m of blocks[1]!.symbols) asm.add(parseSymbol(m, 4)!, m, 110, 0);
  t.is(out.length, 0);
  asm.poll(500); // both deadlines passed before the loop came back
  t.like(asm.counters, { blocksLost: 1, blocksLate: 1, blocksDecoded: 1, datagramsOut: 0 });
  t.deepEqual(out, []);
});
