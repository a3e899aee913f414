import { VerifyIo } from './io';
import { formatDuration } from './options';

/** When waiting started and must end, and how often to look. */
export interface WaitWindow {
  /** `clock.now()` when verification started. */
  readonly start: number;
  /** `clock.now()` after which waiting gives up. */
  readonly deadline: number;
  readonly pollMs: number;
}

/**
 * Calls `look` until `done` holds for what it returns or the deadline passes, sleeping `pollMs` between looks
 * (never past the deadline) and writing one progress line per wait: `waiting 1m30s/30m: <describe(value)>`.
 * @returns the last value, and whether the deadline passed before `done` held
 */
export async function pollUntil<T>(
  look: () => Promise<T>, done: (value: T) => boolean, describe: (value: T) => string, window: WaitWindow, io: VerifyIo,
): Promise<{ readonly value: T; readonly timedOut: boolean }> {
  const { clock } = io;
  for (;;) {
    const value = await look();
    if (done(value)) return { value, timedOut: false };
    const now = clock.now();
    if (now >= window.deadline) return { value, timedOut: true };
    io.progress.write(`waiting ${formatDuration(now - window.start)}/${formatDuration(window.deadline - window.start)}: ${describe(value)}\n`);
    await clock.sleep(Math.min(window.pollMs, window.deadline - now));
  }
}
