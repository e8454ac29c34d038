// React state from one of the console's small external stores (panes, scrollback).

import {useSyncExternalStore} from 'react';

export interface Store<State> {
  subscribe(listener: () => void): () => void;
  getState(): State;
}

export function useStore<State>(store: Store<State>): State {
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}
