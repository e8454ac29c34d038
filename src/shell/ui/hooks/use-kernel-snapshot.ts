// The kernel's latest snapshot as React state. The kernel notifies on every change (each tick, each
// command); this hook coalesces those into at most `maxFps` renders a second and only then asks for
// a snapshot, so a fast clock costs the kernel nothing extra and rendering never holds a tick back.

import {useEffect, useState} from 'react';
import type {Kernel, KernelSnapshot} from '../../../kernel/index.js';

/** Renders per second at most; a terminal redraw faster than this only costs CPU. */
export const SNAPSHOT_MAX_FPS = 20;

export function useKernelSnapshot(kernel: Kernel, maxFps = SNAPSHOT_MAX_FPS): KernelSnapshot {
  const [snapshot, setSnapshot] = useState(() => kernel.snapshot());
  useEffect(() => {
    const frameMs = 1000 / maxFps;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const publish = () => {
      timer = undefined;
      last = performance.now();
      setSnapshot(kernel.snapshot());
    };
    const unsubscribe = kernel.subscribe(() => {
      timer ??= setTimeout(publish, Math.max(0, last + frameMs - performance.now()));
    });
    publish(); // catch changes made between the first render and this effect
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [kernel, maxFps]);
  return snapshot;
}
