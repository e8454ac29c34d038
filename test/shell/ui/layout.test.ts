// The console layout as a pure function of the terminal size and the panes shown: the classic
// 80x24, hidden panes giving rows back to the output, the wide three-across layout, tiny terminals,
// and invariants (rows add up, widths fill the screen) over a sweep of sizes.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  computeLayout,
  defaultPaneSettings,
  PANE_NAMES,
  type Layout,
  type PaneName,
  type PaneSettings,
} from '../../../src/shell/ui/layout.js';

/** Status line, prompt and help bar. */
const CHROME_ROWS = 3;

/** Settings with only `shown` visible. */
function showing(...shown: PaneName[]): PaneSettings {
  const settings = defaultPaneSettings();
  for (const name of PANE_NAMES) settings.visible[name] = shown.includes(name);
  return settings;
}

/** Rows of every pane row, each counted once (panes side by side share their row's height). */
function paneRowsHeight(layout: Layout): number {
  return layout.paneRows.reduce((sum, row) => sum + (row[0]?.height ?? 0), 0);
}

/** The names in each pane row, for a compact picture of the layout. */
function shape(layout: Layout): string[][] {
  return layout.paneRows.map((row) => row.map((pane) => pane.name));
}

/** Every invariant a layout must hold, whatever the size. */
function checkInvariants(layout: Layout, columns: number, rows: number, settings: PaneSettings): void {
  const where = `${columns}x${rows} showing ${PANE_NAMES.filter((name) => settings.visible[name]).join(',')}`;
  assert.ok(layout.outputHeight >= 0, `${where}: output height ${layout.outputHeight}`);
  assert.ok(layout.height > 0, `${where}: height ${layout.height}`);
  assert.ok(layout.height <= Math.max(rows - 1, CHROME_ROWS + 1), `${where}: height ${layout.height}`);
  assert.equal(CHROME_ROWS + paneRowsHeight(layout) + layout.outputHeight, layout.height, `${where}: rows`);
  for (const row of layout.paneRows) {
    assert.ok(row.length > 0, `${where}: empty pane row`);
    const width = row.reduce((sum, pane) => sum + pane.width, 0);
    assert.equal(width, layout.width, `${where}: widths of ${row.map((pane) => pane.name).join(',')}`);
    for (const pane of row) {
      assert.ok(pane.width > 0, `${where}: ${pane.name} width ${pane.width}`);
      assert.ok(pane.height > 0, `${where}: ${pane.name} height ${pane.height}`);
      assert.equal(pane.height, row[0]!.height, `${where}: panes in one row share a height`);
      assert.ok(settings.visible[pane.name], `${where}: hidden pane ${pane.name} laid out`);
    }
  }
  const names = layout.paneRows.flat().map((pane) => pane.name);
  assert.equal(new Set(names).size, names.length, `${where}: a pane laid out twice`);
}

test('the default settings show every pane but downloads and focus the output', () => {
  assert.deepEqual(defaultPaneSettings(), {
    visible: {sched: true, map: true, top: true, downloads: false},
    focus: 'output',
  });
});

test('at 80x24 the scheduler and top share a row and the block map runs full width under them', () => {
  const layout = computeLayout(80, 24, defaultPaneSettings());
  assert.equal(layout.width, 80);
  assert.equal(layout.height, 23, 'one row less than the terminal');
  assert.deepEqual(shape(layout), [['sched', 'top'], ['map']]);
  const [upper, lower] = layout.paneRows;
  assert.equal(upper![0]!.width + upper![1]!.width, 80);
  assert.deepEqual(
    upper!.map((pane) => pane.width),
    [40, 40],
  );
  assert.equal(lower![0]!.width, 80);
  assert.ok(layout.outputHeight >= 4, `output height ${layout.outputHeight}`);
  assert.equal(CHROME_ROWS + paneRowsHeight(layout) + layout.outputHeight, layout.height);
});

test('at 80x24 the panes and output have the heights the console was designed for', () => {
  const layout = computeLayout(80, 24, defaultPaneSettings());
  assert.deepEqual(
    layout.paneRows.map((row) => row[0]!.height),
    [9, 5],
  );
  assert.equal(layout.outputHeight, 6);
});

test('an odd width gives the spare column to the last pane in the row', () => {
  const layout = computeLayout(81, 24, defaultPaneSettings());
  assert.deepEqual(
    layout.paneRows[0]!.map((pane) => pane.width),
    [40, 41],
  );
});

test('hiding a pane gives its rows back to the output', () => {
  const all = computeLayout(80, 24, defaultPaneSettings());
  const noMap = computeLayout(80, 24, showing('sched', 'top'));
  assert.deepEqual(shape(noMap), [['sched', 'top']]);
  assert.equal(noMap.outputHeight, all.outputHeight + all.paneRows[1]![0]!.height);

  const mapOnly = computeLayout(80, 24, showing('map'));
  assert.deepEqual(shape(mapOnly), [['map']]);
  assert.equal(mapOnly.outputHeight, all.outputHeight + all.paneRows[0]![0]!.height);

  const none = computeLayout(80, 24, showing());
  assert.deepEqual(none.paneRows, []);
  assert.equal(none.outputHeight, 23 - CHROME_ROWS);
});

test('hiding one of the two upper panes gives the other the full width', () => {
  const layout = computeLayout(80, 24, showing('sched', 'map'));
  assert.deepEqual(shape(layout), [['sched'], ['map']]);
  assert.equal(layout.paneRows[0]![0]!.width, 80);
  const topOnly = computeLayout(80, 24, showing('top'));
  assert.deepEqual(shape(topOnly), [['top']]);
  assert.equal(topOnly.paneRows[0]![0]!.width, 80);
});

test('focus does not change the layout', () => {
  const settings = defaultPaneSettings();
  const focused: PaneSettings = {...settings, focus: 'top'};
  assert.deepEqual(computeLayout(80, 24, focused), computeLayout(80, 24, settings));
});

test('from 150 columns the three panes sit side by side in screen order', () => {
  for (const columns of [150, 151, 200, 300]) {
    const layout = computeLayout(columns, 40, defaultPaneSettings());
    assert.deepEqual(shape(layout), [['sched', 'map', 'top']], `${columns} columns`);
    assert.equal(
      layout.paneRows[0]!.reduce((sum, pane) => sum + pane.width, 0),
      columns,
      `${columns} columns`,
    );
  }
});

test('149 columns is still the stacked layout', () => {
  assert.deepEqual(shape(computeLayout(149, 40, defaultPaneSettings())), [['sched', 'top'], ['map']]);
});

test('a wide terminal with a hidden pane shares the row between the others', () => {
  const layout = computeLayout(160, 40, showing('sched', 'top'));
  assert.deepEqual(shape(layout), [['sched', 'top']]);
  assert.deepEqual(
    layout.paneRows[0]!.map((pane) => pane.width),
    [80, 80],
  );
});

test('a tall terminal caps pane heights and gives the rest to the output', () => {
  const layout = computeLayout(80, 100, defaultPaneSettings());
  for (const row of layout.paneRows) assert.ok(row[0]!.height <= 18, `pane height ${row[0]!.height}`);
  assert.ok(layout.outputHeight > 60, `output height ${layout.outputHeight}`);
});

test('a 40x10 terminal has no room for panes and never goes negative', () => {
  const layout = computeLayout(40, 10, defaultPaneSettings());
  assert.equal(layout.height, 9);
  assert.ok(layout.outputHeight >= 0);
  assert.ok(CHROME_ROWS + paneRowsHeight(layout) + layout.outputHeight <= layout.height);
  for (const pane of layout.paneRows.flat()) assert.ok(pane.height > 0);
  checkInvariants(layout, 40, 10, defaultPaneSettings());
});

test('a 20x5 terminal still lays out the chrome with no negative heights', () => {
  const layout = computeLayout(20, 5, defaultPaneSettings());
  assert.deepEqual(layout.paneRows, []);
  assert.ok(layout.outputHeight >= 0, `output height ${layout.outputHeight}`);
  assert.ok(CHROME_ROWS + layout.outputHeight <= layout.height);
  checkInvariants(layout, 20, 5, defaultPaneSettings());
});

test('panes drop out rather than shrink below a useful height', () => {
  for (let rows = 5; rows <= 60; rows++) {
    for (const pane of computeLayout(80, rows, defaultPaneSettings()).paneRows.flat())
      assert.ok(pane.height >= 5, `${rows} rows: ${pane.name} is ${pane.height} rows`);
  }
});

test('with room for them, the output keeps at least four rows', () => {
  for (let rows = 8; rows <= 60; rows++) {
    for (const columns of [80, 160]) {
      const layout = computeLayout(columns, rows, defaultPaneSettings());
      assert.ok(layout.outputHeight >= 4, `${columns}x${rows}: output ${layout.outputHeight}`);
    }
  }
});

test('across sizes and pane choices, rows add up and every pane row fills the width', () => {
  const choices: PaneName[][] = [
    ['sched', 'map', 'top', 'downloads'],
    ['sched', 'top', 'downloads'],
    ['map', 'downloads'],
    ['downloads'],
    ['sched', 'map', 'top'],
    ['sched', 'top'],
    ['sched', 'map'],
    ['map', 'top'],
    ['sched'],
    ['map'],
    ['top'],
    [],
  ];
  for (let columns = 20; columns <= 200; columns += 3) {
    for (let rows = 5; rows <= 60; rows++) {
      for (const shown of choices) {
        const settings = showing(...shown);
        const layout = computeLayout(columns, rows, settings);
        assert.equal(layout.width, columns);
        checkInvariants(layout, columns, rows, settings);
      }
    }
  }
});

test('a taller terminal never hides a pane a shorter one showed', () => {
  for (const [columns, settings] of [
    [80, defaultPaneSettings()],
    [160, defaultPaneSettings()],
    [80, showing(...PANE_NAMES)],
    [160, showing(...PANE_NAMES)],
  ] as const) {
    let previous: PaneName[] = [];
    for (let rows = 5; rows <= 60; rows++) {
      const names = computeLayout(columns, rows, settings)
        .paneRows.flat()
        .map((pane) => pane.name);
      for (const name of previous) assert.ok(names.includes(name), `${columns}x${rows} hides ${name}`);
      previous = names;
    }
  }
});

test('a stacked terminal too short for both rows keeps the block map', () => {
  // the map needs 5 rows and the scheduler/top row 5 more; in between only the map fits
  const layout = computeLayout(80, 17, defaultPaneSettings());
  assert.deepEqual(shape(layout), [['map']]);
  assert.equal(layout.outputHeight, 16 - CHROME_ROWS - 5);
});

test('shown at 80x24, the downloads pane runs full width under the map and the upper row gives up rows', () => {
  const layout = computeLayout(80, 24, showing(...PANE_NAMES));
  assert.deepEqual(shape(layout), [['sched', 'top'], ['map'], ['downloads']]);
  assert.deepEqual(
    layout.paneRows.map((row) => row[0]!.height),
    [6, 5, 5],
  );
  assert.equal(layout.paneRows[2]![0]!.width, 80);
  assert.equal(layout.outputHeight, 4);
});

test('the downloads pane grows with the terminal up to 10 rows', () => {
  const heights = [24, 40, 60, 100].map((rows) => {
    const box = computeLayout(80, rows, showing(...PANE_NAMES))
      .paneRows.flat()
      .find((pane) => pane.name === 'downloads');
    return box?.height;
  });
  assert.deepEqual(heights, [5, 9, 10, 10]);
});

test('from 150 columns the downloads pane runs full width under the three panes', () => {
  const layout = computeLayout(160, 40, showing(...PANE_NAMES));
  assert.deepEqual(shape(layout), [['sched', 'map', 'top'], ['downloads']]);
  assert.equal(layout.paneRows[1]![0]!.width, 160);
});

test('on a short terminal the downloads pane, once shown, keeps its rows before the scheduler and top', () => {
  // 80x20: the map (5) and the downloads pane (5) fit; the upper row would get 3 and is left out
  const layout = computeLayout(80, 20, showing(...PANE_NAMES));
  assert.deepEqual(shape(layout), [['map'], ['downloads']]);
  const alone = computeLayout(80, 13, showing('downloads'));
  assert.deepEqual(shape(alone), [['downloads']]);
});
