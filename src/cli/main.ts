#!/usr/bin/env node
import { createRequire } from 'node:module';
import { UsageError } from './args.js';

/** What every module in src/cli/commands/ exports. */
export interface Command {
  /** One line for `perfect-socket --help`. */
  summary: string;
  /** Full text for `perfect-socket <name> --help`. */
  usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

// The registry: one line per subcommand. Modules load lazily so that, for example, `proxy` never
// pulls in the native binding.
const commands: Record<string, () => Promise<Command>> = {
  proxy: () => import('./commands/proxy.js'),
  send: () => import('./commands/send.js'),
  recv: () => import('./commands/recv.js'),
  relay: () => import('./commands/relay.js'),
  demo: () => import('./commands/demo.js'),
  coordinator: () => import('./commands/coordinator.js'),
  peer: () => import('./commands/peer.js'),
};

const names = Object.keys(commands);

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

async function overview(): Promise<string> {
  const width = Math.max(...names.map((n) => n.length));
  const lines = await Promise.all(names.map(async (n) => `  ${n.padEnd(width)}  ${(await commands[n]!()).summary}`));
  return [
    'usage: perfect-socket <command> [flags]',
    '',
    'commands:',
    ...lines,
    '',
    "run 'perfect-socket <command> --help' for a command's flags, 'perfect-socket --version' for the build",
    '',
  ].join('\n');
}

/** `perfect-socket 0.1.0 (linux-x64-gnu, codec kernel gfni-avx512)`: what a bug report needs. */
async function version(): Promise<string> {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const { platformName } = await import('../native.js');
  const { codecKernel } = await import('../codec/kernel.js');
  return `perfect-socket ${version} (${platformName()}, codec kernel ${codecKernel()})`;
}

function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Dispatches to a subcommand; never rejects. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  let prefix = 'perfect-socket';
  try {
    if (name === undefined) throw new UsageError(`missing command; accepted: ${names.join(', ')} (or --help)`);
    if (name === '--version' || name === '-v') {
      process.stdout.write(`${await version()}\n`);
      return 0;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(await overview());
      return 0;
    }
    const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (load === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(name)}; accepted: ${names.join(', ')} (or --help)`);
    }
    prefix = `perfect-socket ${name}`;
    const command = await load();
    if (wantsHelp(rest)) {
      process.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    const message = oneLine(err instanceof Error ? err.message : String(err));
    process.stderr.write(`${prefix}: ${message}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
