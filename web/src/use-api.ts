import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, get } from './api';
import { useLiveTick, type EventKind } from './live';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: ApiError | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

/**
 * GETs `path` (null = nothing to fetch), again when `live` kinds change on the
 * server. What was shown stays until the new answer arrives, so a live update
 * never blanks or shifts the page; an older answer never overwrites a newer one.
 */
export function useApi<T>(path: string | null, live: readonly EventKind[] = []): Loaded<T> {
  const tick = useLiveTick(live);
  const [manual, setManual] = useState(0);
  const [state, setState] = useState<{ path: string | null; data: T | undefined; error: ApiError | null; loading: boolean }>({ path, data: undefined, error: null, loading: path !== null });
  const seq = useRef(0);

  useEffect(() => {
    if (path === null) return;
    const mine = ++seq.current;
    setState((s) => (s.path === path ? { ...s, loading: true } : { path, data: undefined, error: null, loading: true }));
    get<T>(path).then(
      (data) => {
        if (mine === seq.current) setState({ path, data, error: null, loading: false });
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        const e = err instanceof ApiError ? err : new ApiError(0, 'client', String(err));
        // A failed refresh keeps the last good data on screen, with the error beside it.
        setState((s) => ({ path, data: s.path === path ? s.data : undefined, error: e, loading: false }));
      },
    );
  }, [path, tick, manual]);

  const reload = useCallback(() => setManual((n) => n + 1), []);
  const current = state.path === path;
  return { data: current ? state.data : undefined, error: current ? state.error : null, loading: current ? state.loading : path !== null, reload };
}
