import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes `value` as JSON to `file` through a temporary file and a rename, so a reader (or a
 * relay killed mid-write) never leaves a half-written file behind.
 * @throws the file system's error
 */
export function writeJsonFile(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, file);
}
