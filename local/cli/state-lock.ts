/**
 * One command at a time per state folder: the embedded DynamoDB keeps its files open exclusively, and a
 * second process on the same folder would fail deep inside it. A lock file holding the owner's pid
 * turns that into a clear message; a lock left by a process that is gone is taken over.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ConfigurationError } from "../../functions/errors";

const LOCK_FILE = "saddledata.lock";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the folder's lock; resolves to the function that releases it. */
export async function lockStateDir(directory: string): Promise<() => Promise<void>> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new ConfigurationError(
          `The state folder ${directory} is in use by another saddledata command (pid ${owner}): wait for it to finish, or give this one another --state-dir.`,
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new ConfigurationError(
    `Could not lock the state folder ${directory}: another command keeps taking it.`,
  );
}
