// When the window's views read the cache again after it changed.

/** While the cache is current, views re-read 100 ms after a change (changes come
 *  together: one read for them all). During a first sync, pages land many times a
 *  second and below what is on screen, and each re-read costs the window's process
 *  (desktop bench): once a second then. Except while the screen shows nothing yet (a
 *  first sign-in reads its first screen from an empty cache, or has not read it yet):
 *  then the first pages land on screen, and are read at the short delay. */
export const REREAD_MS = 100;
export const FIRST_SYNC_REREAD_MS = 1000;

/** Re-reads paced as above: `changed` schedules `reread` (at most one pending). */
export function pacedRereads(reread: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pendingDelay = 0;
  let screenEmpty = true;
  const schedule = (delay: number) => {
    pendingDelay = delay;
    timer = setTimeout(() => {
      timer = undefined;
      screenEmpty = false;
      reread();
    }, delay);
  };
  return {
    /** What the first screen showed: nothing (`empty`) or some rows. A paced re-read
     *  under way when it shows nothing comes at the short delay instead. */
    shown(empty: boolean) {
      screenEmpty = empty;
      if (empty && timer !== undefined && pendingDelay > REREAD_MS) {
        clearTimeout(timer);
        schedule(REREAD_MS);
      }
    },
    /** The cache changed; `firstSync`: a first sync is under way. */
    changed(firstSync: boolean) {
      if (timer !== undefined) return;
      schedule(firstSync && !screenEmpty ? FIRST_SYNC_REREAD_MS : REREAD_MS);
    },
  };
}
