// Feeds the terminal's key presses to the prompt controller and returns its state for drawing.
// Ink's input parser splits raw input into one sequence per key; keys.ts names them (Ink's own
// useInput has no F-keys), so the console listens to Ink's input events directly.

import {useStdin} from 'ink';
import {useEffect} from 'react';
import {createInputDecoder} from '../keys.js';
import type {PromptController, PromptState} from '../prompt-controller.js';
import {useStore} from './use-store.js';

export function usePrompt(controller: PromptController): PromptState {
  const {internal_eventEmitter: input, setRawMode, isRawModeSupported} = useStdin();
  useEffect(() => {
    if (isRawModeSupported) setRawMode(true);
    const decode = createInputDecoder(); // remembers whether a bracketed paste is open
    const onInput = (data: string) => {
      for (const key of decode(data)) void controller.press(key);
    };
    input.on('input', onInput);
    return () => {
      input.off('input', onInput);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [controller, input, isRawModeSupported, setRawMode]);
  return useStore(controller);
}
