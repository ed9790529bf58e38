import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a running local system tells the tools (`npm run clock`) about itself, in `<local dir>/local-system.json`. */
export interface LocalSystemFile {
  readonly apiUrl: string;
  readonly emulatorControlUrl: string;
  readonly pid: number;
  /**
   * The environment that reaches this system's stores and marketplace emulator as its functions do (table names,
   * local endpoints, the emulator's publisher app with its made-up secret): for operator tools that work on the stores
   * directly (`npm run reconcile`). Only local stand-in values, never real credentials.
   */
  readonly toolEnv?: Readonly<Record<string, string>>;
}

export const LOCAL_SYSTEM_FILE = 'local-system.json';

export async function writeLocalSystemFile(localDir: string, system: LocalSystemFile): Promise<void> {
  await writeFile(join(localDir, LOCAL_SYSTEM_FILE), `${JSON.stringify(system, null, 2)}\n`);
}

export async function removeLocalSystemFile(localDir: string): Promise<void> {
  await rm(join(localDir, LOCAL_SYSTEM_FILE), { force: true });
}

/** The running local system's file and bootstrap key in `localDir`, or undefined when either is missing. */
export async function findLocalSystem(
  localDir: string,
): Promise<{ system: LocalSystemFile; bootstrapKey: string } | undefined> {
  const read = (name: string) => readFile(join(localDir, name), 'utf8').catch(() => undefined);
  const [system, key] = await Promise.all([read(LOCAL_SYSTEM_FILE), read('bootstrap-key')]);
  if (!system || !key?.trim()) return undefined;
  return { system: JSON.parse(system) as LocalSystemFile, bootstrapKey: key.trim() };
}
