// What the downloads pane shows, as lines of spans, for a given inner size. Pure. Top to bottom: one
// line per transfer (running ones first, newest first: name, a progress bar, percent, then rate, peers
// and ETA, or how it ended), then the chunk map of the newest running download: a title with its
// counts, the chunks scaled to the pane's width as block-map.ts scales the heap (one to MAX_MAP_ROWS
// rows), and a legend. A cell covering several chunks shows in flight if any is, done if all are,
// partial if some are, else missing.
// Interface:
//   const data = readDownloads(peer.sharing)   every transfer, the running ones, the mapped one's chunks
//   watchStalls(data, marks, Date.now())       the same, naming the running ones that stand still
//   downloadsLines(data, 78, 8)                the pane's rows
//   downloadsHint(data)                        the border's hint: "1 running, 4 in all"
//   downloadsListRows(data, 8)                 transfers listed at once, the page PgUp/PgDn moves by

import {CHUNK_DONE, CHUNK_IN_FLIGHT} from '../../net/files/downloader.js';
import type {Sharing, TransferView} from '../../net/files/sharing.js';
import type {Tone} from '../format.js';
import {
  BAR_DONE,
  BAR_LEFT,
  doneFraction,
  formatEta,
  formatPercent,
  formatRate,
  shownState,
} from '../transfer-format.js';
import {
  fitLine,
  joinRuns,
  lineWidth,
  packSections,
  padText,
  type Line,
  type Section,
  type Span,
} from './spans.js';

/** What the pane draws: every transfer, which of them run, and the chunk map of one. */
export interface DownloadsData {
  /** As sharing.downloads() lists them, oldest first. */
  transfers: readonly TransferView[];
  /** Ids of the transfers a run drives now (sharing.running(id) is defined). */
  running: ReadonlySet<number>;
  /** The transfer whose chunks are mapped, with each chunk's state (CHUNK_MISSING, _IN_FLIGHT, _DONE). */
  focus: {id: number; chunks: Uint8Array} | undefined;
  /** Ids of running transfers that have moved nothing for STALL_MS (watchStalls); shown as stalled. */
  stalled?: ReadonlySet<number>;
}

export const NO_DOWNLOADS: DownloadsData = {transfers: [], running: new Set(), focus: undefined};

/** Chunk map glyphs. */
export const CHUNK_DONE_GLYPH = '█';
export const CHUNK_IN_FLIGHT_GLYPH = '▓';
export const CHUNK_PART_GLYPH = '▒';
export const CHUNK_MISSING_GLYPH = '·';

/** Rows of the chunk map at most; the transfers keep the rest. */
const MAX_MAP_ROWS = 4;
/** Longest name shown; longer ones are cut so the bars line up. */
const MAX_NAME_CHARS = 20;
/** The bar keeps at least this many cells; a narrow pane cuts the details at the edge instead. */
const MIN_BAR_CELLS = 6;
/** Room the bars leave for the details at most: "112.4 MB/s  12 peers  eta 1h05m". */
const MAX_DETAIL_CHARS = 32;
const GAP = '  ';

/** The pane's data from the sharing service: every transfer, the running ones, the newest running one's chunks. */
export function readDownloads(sharing: Pick<Sharing, 'downloads' | 'running'>): DownloadsData {
  const transfers = sharing.downloads();
  const running = new Set(
    transfers.filter((view) => sharing.running(view.id) !== undefined).map((view) => view.id),
  );
  const id = pickFocus(transfers, running);
  const chunks = id === undefined ? undefined : sharing.running(id)?.chunkMap();
  return {transfers, running, focus: id === undefined || chunks === undefined ? undefined : {id, chunks}};
}

/** A running transfer with nothing in flight that has fetched nothing for this long shows as stalled. */
export const STALL_MS = 3_000;

/** Per running transfer: its bytes done when last seen to move, since when (ms), and whether it stalled. */
export type StallMarks = ReadonlyMap<number, {bytesDone: number; since: number; isStalled: boolean}>;

/**
 * Which running transfers stand still at `now` (ms): no byte fetched for STALL_MS and nothing in
 * flight. A stalled one stays so until a byte comes (a retry of a dead peer puts a chunk in flight
 * for a moment). Returns the marks to pass next time and the data with `stalled` naming them: their
 * rate still averages the bytes that came before, so it alone would go on promising an ETA. Pure:
 * the caller keeps the marks.
 */
export function watchStalls(
  data: DownloadsData,
  marks: StallMarks,
  now: number,
): {data: DownloadsData; marks: StallMarks} {
  const next = new Map<number, {bytesDone: number; since: number; isStalled: boolean}>();
  const stalled = new Set<number>();
  for (const view of data.transfers) {
    if (!data.running.has(view.id) || view.state !== 'active') continue;
    const mark = marks.get(view.id);
    const kept =
      mark !== undefined && mark.bytesDone === view.bytesDone
        ? mark
        : {bytesDone: view.bytesDone, since: now, isStalled: false};
    const isStalled = kept.isStalled || (now - kept.since >= STALL_MS && inFlight(view, data) === 0);
    next.set(view.id, {...kept, isStalled});
    if (isStalled) stalled.add(view.id);
  }
  return {data: stalled.size === 0 ? data : {...data, stalled}, marks: next};
}

/**
 * Chunks in flight as the pane shows them: the mapped transfer's from its chunk map (a dropped peer's
 * chunks are missing again there at once, while their requests still count until they time out).
 */
function inFlight(view: TransferView, data: DownloadsData): number {
  if (data.focus?.id !== view.id) return view.inFlight;
  let count = 0;
  for (const state of data.focus.chunks) if (state === CHUNK_IN_FLIGHT) count += 1;
  return count;
}

/** The transfer to map: the newest running one, or none. */
export function pickFocus(
  transfers: readonly TransferView[],
  running: ReadonlySet<number>,
): number | undefined {
  let focus: number | undefined;
  for (const view of transfers)
    if (running.has(view.id) && (focus === undefined || view.id > focus)) focus = view.id;
  return focus;
}

/** Transfers in the pane's order: running ones first, then the rest; newest first within each. */
export function orderTransfers(data: DownloadsData): TransferView[] {
  return [...data.transfers].sort((a, b) => {
    const isRunning = Number(data.running.has(b.id)) - Number(data.running.has(a.id));
    return isRunning !== 0 ? isRunning : b.id - a.id;
  });
}

/** "1 running, 4 in all" for the border, or nothing when there are no transfers. */
export function downloadsHint(data: DownloadsData): string | undefined {
  if (data.transfers.length === 0) return undefined;
  return `${data.running.size} running, ${data.transfers.length} in all`;
}

/** The pane's lines for `width` x `height` inner cells; `scroll` is the first transfer listed. */
export function downloadsLines(data: DownloadsData, width: number, height: number, scroll = 0): Span[][] {
  if (width <= 0 || height <= 0) return [];
  const transfers = orderTransfers(data);
  if (transfers.length === 0)
    return [fitLine([{text: 'no downloads: `download ID|NAME` starts one', tone: 'dim'}], width)];
  const {map, listRows} = downloadsRows(data, transfers, height);
  const first = Math.max(0, Math.min(Math.floor(scroll), transfers.length - listRows));
  const lines = transferLines(transfers.slice(first, first + listRows), data, width);
  if (map) lines.push(...mapLines(map.view, map.chunks, width, height - lines.length));
  return lines.slice(0, height);
}

/** The largest useful `scroll`: the last screenful of transfers starts there (0 when they fit). */
export function downloadsScrollLimit(data: DownloadsData, height: number): number {
  if (height <= 0) return 0;
  const transfers = orderTransfers(data);
  return Math.max(0, transfers.length - downloadsRows(data, transfers, height).listRows);
}

/** The transfers a pane of `height` inner rows lists at once: what one PgUp or PgDn pages through. */
export function downloadsListRows(data: DownloadsData, height: number): number {
  if (height <= 0) return 0;
  const transfers = orderTransfers(data);
  return transfers.length === 0 ? 0 : downloadsRows(data, transfers, height).listRows;
}

/** The transfer whose chunks are mapped (if any), and the rows the list of transfers gets. */
function downloadsRows(data: DownloadsData, transfers: readonly TransferView[], height: number) {
  const view = data.focus !== undefined ? transfers.find((each) => each.id === data.focus!.id) : undefined;
  const map =
    view !== undefined && data.focus!.chunks.length > 0 ? {view, chunks: data.focus!.chunks} : undefined;
  // The transfers take what the map leaves (a title, a row and a legend), at least one row.
  const listRows = Math.max(1, Math.min(transfers.length, map ? height - 3 : height));
  return {map, listRows};
}

function stateTone(state: string): Tone {
  switch (state) {
    case 'active':
    case 'verifying':
    case 'done':
      return 'green';
    case 'failed':
      return 'red';
    default:
      return 'yellow';
  }
}

/** The state a transfer's line shows: 'stalled' for a running one that stands still (watchStalls). */
function lineState(view: TransferView, data: DownloadsData): string {
  return data.stalled?.has(view.id) === true ? 'stalled' : shownState(view, data.running.has(view.id));
}

/** After the percent: rate, peers and ETA while it runs; else how it stands. */
function details(view: TransferView, state: string): Line {
  if (state === 'active') {
    const peers = `${view.peers} peer${view.peers === 1 ? '' : 's'}`;
    return [{text: `${formatRate(view.rate)}  ${peers}  eta ${formatEta(view.etaSeconds)}`}];
  }
  if (state === 'done') return [{text: 'done', tone: 'green'}, {text: `  ${formatRate(view.rate)}`}];
  if (state === 'failed')
    return [{text: `failed${view.error === null ? '' : `: ${view.error}`}`, tone: 'red'}];
  return [{text: state, tone: stateTone(state)}];
}

/**
 * One line per transfer, names and bars in columns so the bars line up. The state word (done, failed,
 * paused, stalled, ...) always shows whole: the bar shrinks for it, down to nothing; a failure's
 * message and a running transfer's figures are cut at the edge instead.
 */
function transferLines(views: readonly TransferView[], data: DownloadsData, width: number): Span[][] {
  const longest = Math.max(...views.map((view) => view.name.length));
  const nameWidth = Math.max(1, Math.min(longest, MAX_NAME_CHARS, Math.max(4, Math.floor(width / 4))));
  const states = views.map((view) => lineState(view, data));
  // a failure's message past its code is cut at the edge rather than take the bars' room
  const detailWidth = Math.min(
    MAX_DETAIL_CHARS,
    Math.max(
      ...views.map((view, i) =>
        states[i] === 'failed' ? failureWidth(view.error) : lineWidth(details(view, states[i]!)),
      ),
    ),
  );
  const stateWidth = Math.max(...states.map((state) => (state === 'active' ? 0 : state.length)));
  const fixed = nameWidth + GAP.length + 1 + 4 + GAP.length; // name, bar, " 42%", details
  let barCells = Math.max(MIN_BAR_CELLS, width - fixed - detailWidth);
  if (fixed + barCells + stateWidth > width) barCells = Math.max(0, width - fixed - stateWidth);
  const detailRoom = width - fixed - barCells;
  return views.map((view, i) => {
    const state = states[i]!;
    const fraction = doneFraction(view);
    const done = Math.floor(fraction * barCells);
    const name =
      view.name.length > nameWidth ? `${view.name.slice(0, Math.max(0, nameWidth - 1))}…` : view.name;
    const line: Span[] = [
      {text: padText(name, nameWidth)},
      {text: GAP},
      {text: BAR_DONE.repeat(done), tone: stateTone(state)},
      {text: BAR_LEFT.repeat(barCells - done), tone: 'dim'},
      {text: ` ${formatPercent(fraction).padStart(4)}`},
      {text: GAP},
      ...fitDetails(details(view, state), state, detailRoom),
    ];
    return fitLine(
      line.filter((span) => span.text.length > 0),
      width,
    );
  });
}

/** Room for "failed: ENOPEER…": the state, the error's code, and a mark that the message goes on. */
function failureWidth(error: string | null): number {
  const code = /^E[A-Z0-9]+\b/.exec(error ?? '')?.[0];
  if (code === undefined) return 'failed'.length;
  return `failed: ${code}`.length + (error!.length > code.length ? 1 : 0);
}

/** A transfer's details in `room` columns: cut at the edge, but never through the state word. */
function fitDetails(line: Line, state: string, room: number): Span[] {
  if (lineWidth(line) <= room) return [...line];
  // "failed: E…" says less than "failed" alone until a few characters of the message fit
  if (state !== 'active' && room < state.length + 4) return [{text: state, tone: stateTone(state)}];
  return fitLine(line, room);
}

/** The map's title, rows and legend in `rows` lines: the legend goes first, then the title. */
function mapLines(view: TransferView, chunks: Uint8Array, width: number, rows: number): Span[][] {
  if (rows <= 0) return [];
  const hasTitle = rows >= 3;
  const hasLegend = rows >= 2;
  const mapRows = Math.max(1, Math.min(MAX_MAP_ROWS, rows - Number(hasTitle) - Number(hasLegend)));
  const cells = chunkCells(chunks, width * mapRows);
  const lines: Span[][] = [];
  if (hasTitle) lines.push(titleLine(view, chunks, width));
  for (let row = 0; row < mapRows && row * width < cells.length; row++)
    lines.push(joinRuns(cells.slice(row * width, (row + 1) * width).map(cellSpan)));
  if (hasLegend) lines.push(...packSections([legendSection(chunks.length > cells.length, width)], width, 1));
  return lines;
}

function titleLine(view: TransferView, chunks: Uint8Array, width: number): Span[] {
  let done = 0;
  let inFlight = 0;
  for (const state of chunks) {
    if (state === CHUNK_DONE) done += 1;
    else if (state === CHUNK_IN_FLIGHT) inFlight += 1;
  }
  const line: Span[] = [
    {text: `${view.id} ${view.name}`, isBold: true},
    {text: `  ${done}/${chunks.length} chunks  ${inFlight} in flight`},
  ];
  if (view.resumedChunks > 0) line.push({text: `  ${view.resumedChunks} resumed`});
  if (view.corrupt > 0) line.push({text: `  ${view.corrupt} corrupt`, tone: 'red'});
  return fitLine(line, width);
}

/** How one cell of the map looks. */
export type ChunkCell = 'done' | 'in-flight' | 'part' | 'missing';

/**
 * The chunks as min(count, chunks.length) cells: cell i of n covers chunks [floor(i * total / n),
 * floor((i + 1) * total / n)), so every chunk lands in exactly one cell, as in block-map.ts.
 */
export function chunkCells(chunks: Uint8Array, count: number): ChunkCell[] {
  const total = chunks.length;
  const n = Math.max(0, Math.min(Math.floor(count), total));
  const cells: ChunkCell[] = new Array(n);
  for (let cell = 0; cell < n; cell++) {
    const start = Math.floor((cell * total) / n);
    const end = Math.floor(((cell + 1) * total) / n);
    let done = 0;
    let inFlight = false;
    for (let index = start; index < end; index++) {
      if (chunks[index] === CHUNK_DONE) done += 1;
      else if (chunks[index] === CHUNK_IN_FLIGHT) inFlight = true;
    }
    cells[cell] = inFlight ? 'in-flight' : done === end - start ? 'done' : done > 0 ? 'part' : 'missing';
  }
  return cells;
}

const CELL_SPANS: Record<ChunkCell, Span> = {
  done: {text: CHUNK_DONE_GLYPH, tone: 'green'},
  'in-flight': {text: CHUNK_IN_FLIGHT_GLYPH, tone: 'yellow'},
  part: {text: CHUNK_PART_GLYPH, tone: 'green'},
  missing: {text: CHUNK_MISSING_GLYPH, tone: 'dim'},
};

function cellSpan(cell: ChunkCell): Span {
  return CELL_SPANS[cell];
}

/** The glyphs' key ("partial" only when a cell covers several chunks), closer together when narrow. */
function legendSection(isScaled: boolean, width: number): Section {
  const entries: Line[] = [
    [CELL_SPANS.done, {text: ' done'}],
    [CELL_SPANS['in-flight'], {text: ' in flight'}],
    ...(isScaled ? [[CELL_SPANS.part, {text: ' partial'}]] : []),
    [CELL_SPANS.missing, {text: ' missing'}],
  ];
  const wide = entries.reduce((sum, entry) => sum + lineWidth(entry), 0) + 2 * (entries.length - 1);
  return {
    label: [],
    count: entries.length,
    item: (i) => entries[i]!,
    separator: wide <= width ? '  ' : ' ',
  };
}
