// Colours for the console. Components ask the theme for a colour by meaning (a Tone, or a process
// owner) and get an Ink colour name, or undefined when colour is off (NO_COLOR, a dumb terminal):
// Ink's own chalk does not read NO_COLOR, so no component passes a literal colour to Ink.
// Interface:
//   <ThemeProvider isColor={…}>          set once by the console
//   const theme = useTheme();            theme.tone('red'), theme.owner(pid), theme.isColor
//   ownerGlyph(pid)                      the character that stands for a pid in the map and the Gantt strip

import React, {createContext, useContext} from 'react';
import type {Tone} from '../format.js';

/** Ink colour names for each tone. */
const TONE_COLORS: Record<Tone, string> = {
  green: 'green',
  cyan: 'cyan',
  yellow: 'yellow',
  magenta: 'magenta',
  gray: 'gray',
  red: 'red',
  dim: 'gray',
};

/** Owner colours, distinct on a 16-colour terminal; a pid keeps its colour in every pane. */
const OWNER_COLORS = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red', 'cyanBright', 'magentaBright'];

/** Glyphs for owners: pid 2 is 'a', pid 3 'b', ..., wrapping after 52 letters (colour tells them apart). */
const OWNER_GLYPHS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export interface Theme {
  isColor: boolean;
  /** An Ink colour for a tone, or undefined without colour. */
  tone(tone: Tone | undefined): string | undefined;
  /** The colour a pid is drawn in, or undefined without colour. */
  owner(pid: number): string | undefined;
}

export function createTheme(isColor: boolean): Theme {
  return {
    isColor,
    tone: (tone) => (isColor && tone ? TONE_COLORS[tone] : undefined),
    owner: (pid) => (isColor ? OWNER_COLORS[pid % OWNER_COLORS.length] : undefined),
  };
}

/** The character that stands for an owner in the block map and the Gantt strip; the shell (0) is '#'. */
export function ownerGlyph(pid: number): string {
  if (pid <= 0) return '#';
  if (pid === 1) return '@';
  return OWNER_GLYPHS[(pid - 2) % OWNER_GLYPHS.length]!;
}

const ThemeContext = createContext<Theme>(createTheme(false));

export function ThemeProvider({isColor, children}: {isColor: boolean; children: React.ReactNode}) {
  return <ThemeContext.Provider value={createTheme(isColor)}>{children}</ThemeContext.Provider>;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
