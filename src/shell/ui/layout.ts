// Where each part of the console goes for a terminal size and the panes shown. Pure, so every size
// can be tested without a terminal. The screen, top to bottom: status line, panes, output, prompt,
// help bar. Below 150 columns the scheduler and top panes share a row and the block map (a bar
// that wants width) runs full width under them; from 150 columns all three sit side by side.
// The downloads pane (hidden until shown: it matters only while files move) runs full width at the
// bottom of the panes; shown, it goes before the scheduler and top row when rows run short.

export const PANE_NAMES = ['sched', 'map', 'top', 'downloads'] as const;
export type PaneName = (typeof PANE_NAMES)[number];

export const PANE_TITLES: Record<PaneName, string> = {
  sched: 'Scheduler',
  map: 'Block map',
  top: 'Top',
  downloads: 'Downloads',
};

export interface PaneSettings {
  visible: Record<PaneName, boolean>;
  /** The pane PgUp/PgDn scroll; 'output' scrolls the command output. */
  focus: PaneName | 'output';
}

export interface PaneBox {
  name: PaneName;
  width: number;
  height: number;
}

export interface Layout {
  width: number;
  /** Rows the app draws: one less than the terminal, so Ink never clears the screen to redraw. */
  height: number;
  /** Rows of panes, each a list of panes side by side. */
  paneRows: PaneBox[][];
  outputHeight: number;
}

/** Fixed rows: status line, prompt, help bar. */
const CHROME_ROWS = 3;
/** The output keeps at least this many rows, so commands stay readable with every pane shown. */
const MIN_OUTPUT_ROWS = 4;
/** A pane smaller than this shows nothing useful and is left out until the terminal grows. */
const MIN_PANE_ROWS = 5;
const MAP_ROWS = 5; // border (2), bar, stats, legend
/** The downloads pane's rows at most: border (2), a few transfers, the chunk map's title, rows and legend. */
const MAX_DOWNLOADS_ROWS = 10;
const WIDE_COLUMNS = 150;

export function defaultPaneSettings(): PaneSettings {
  return {visible: {sched: true, map: true, top: true, downloads: false}, focus: 'output'};
}

/** The downloads pane's rows in `room` rows left for it: a quarter of the screen, 5 to MAX_DOWNLOADS_ROWS. */
function downloadsHeight(height: number, room: number): number {
  return Math.min(
    Math.max(MIN_PANE_ROWS, Math.min(MAX_DOWNLOADS_ROWS, Math.floor(height / 4))),
    Math.max(0, room),
  );
}

/** Lay the console out in `columns` x `rows`. */
export function computeLayout(columns: number, rows: number, settings: PaneSettings): Layout {
  const width = Math.max(20, columns);
  const height = Math.max(CHROME_ROWS + 1, rows - 1);
  const room = height - CHROME_ROWS - MIN_OUTPUT_ROWS;
  const shown = PANE_NAMES.filter((name) => settings.visible[name] && name !== 'downloads');
  const paneRows: PaneBox[][] = [];
  let used = 0;

  const split = (names: readonly PaneName[], paneHeight: number): PaneBox[] => {
    const base = Math.floor(width / names.length);
    return names.map((name, i) => ({
      name,
      // the last pane takes the columns division leaves over
      width: i === names.length - 1 ? width - base * (names.length - 1) : base,
      height: paneHeight,
    }));
  };

  const isWide = width >= WIDE_COLUMNS;
  // The block map (stacked) keeps its rows first, as before; then the downloads pane; then the rest.
  const hasMap = !isWide && settings.visible.map;
  const mapHeight = hasMap ? Math.min(MAP_ROWS, Math.max(0, room)) : 0;
  const afterMap = room - (mapHeight >= MIN_PANE_ROWS ? mapHeight : 0);
  const downloads = settings.visible.downloads ? downloadsHeight(height, afterMap) : 0;
  const hasDownloads = downloads >= MIN_PANE_ROWS;
  const upperRoom = afterMap - (hasDownloads ? downloads : 0);

  if (isWide && shown.length > 0) {
    const paneHeight = Math.min(18, upperRoom);
    if (paneHeight >= MIN_PANE_ROWS) {
      paneRows.push(split(shown, paneHeight));
      used = paneHeight;
    }
  } else if (!isWide) {
    const upper = shown.filter((name) => name !== 'map');
    if (upper.length > 0) {
      const upperHeight = Math.min(18, Math.max(upperRoom, 0), Math.max(9, Math.floor(height * 0.4)));
      if (upperHeight >= MIN_PANE_ROWS) {
        paneRows.push(split(upper, upperHeight));
        used += upperHeight;
      }
    }
    if (hasMap && mapHeight >= MIN_PANE_ROWS && used + mapHeight <= room) {
      paneRows.push(split(['map'], mapHeight));
      used += mapHeight;
    }
  }
  if (hasDownloads && used + downloads <= room) {
    paneRows.push(split(['downloads'], downloads));
    used += downloads;
  }
  return {width, height, paneRows, outputHeight: height - CHROME_ROWS - used};
}
