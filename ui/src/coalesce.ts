// Engine events arrive in bursts (a check of many monitors): a window re-reads one
// at a time, and once more afterwards if anything arrived meanwhile.

/** Wraps `load` so that calls during a load collapse into one more load after it. */
export function coalesced(load: () => Promise<void>): () => void {
  let loading: Promise<void> | null = null;
  let stale = false;
  const refresh = (): void => {
    if (loading) {
      stale = true;
      return;
    }
    loading = load().finally(() => {
      loading = null;
      if (stale) {
        stale = false;
        refresh();
      }
    });
  };
  return refresh;
}
