// The console's pane settings: show, hide, toggle and focus (and how they interact), top's sort key
// and its cycle, scroll offsets that never go negative, describe() for `pane ls`, and notifications.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {PANE_NAMES} from '../../../src/shell/ui/layout.js';
import {PaneStore} from '../../../src/shell/ui/pane-store.js';
import {TOP_SORT_KEYS} from '../../../src/shell/ui/top-rows.js';

test('a new store shows every pane but downloads, focuses the output and sorts top by CPU', () => {
  const store = new PaneStore();
  assert.deepEqual(store.state, {
    visible: {sched: true, map: true, top: true, downloads: false},
    focus: 'output',
    sort: 'cpu',
    scroll: {sched: 0, map: 0, top: 0, downloads: 0},
  });
  assert.equal(store.getState(), store.state);
});

test('the store names the panes in screen order and the top sort keys', () => {
  const store = new PaneStore();
  assert.deepEqual(store.names, ['sched', 'map', 'top', 'downloads']);
  assert.deepEqual(store.names, PANE_NAMES);
  assert.deepEqual(store.sortKeys, TOP_SORT_KEYS);
});

test('hide and show change one pane and leave the others alone', () => {
  const store = new PaneStore();
  store.hide('map');
  assert.deepEqual(store.state.visible, {sched: true, map: false, top: true, downloads: false});
  store.hide('map');
  assert.deepEqual(
    store.state.visible,
    {sched: true, map: false, top: true, downloads: false},
    'hiding twice is harmless',
  );
  store.show('map');
  assert.deepEqual(store.state.visible, {sched: true, map: true, top: true, downloads: false});
  store.show('map');
  assert.deepEqual(
    store.state.visible,
    {sched: true, map: true, top: true, downloads: false},
    'showing twice is harmless',
  );
});

test('toggle hides a shown pane and shows a hidden one', () => {
  const store = new PaneStore();
  store.toggle('top');
  assert.equal(store.state.visible.top, false);
  store.toggle('top');
  assert.equal(store.state.visible.top, true);
  store.toggle('downloads');
  assert.equal(store.state.visible.downloads, true);
});

test('focus moves the focus to a pane', () => {
  const store = new PaneStore();
  store.focus('top');
  assert.equal(store.state.focus, 'top');
  store.focus('sched');
  assert.equal(store.state.focus, 'sched');
  store.focus('output');
  assert.equal(store.state.focus, 'output');
});

test('focusing a hidden pane shows it', () => {
  const store = new PaneStore();
  store.hide('map');
  store.focus('map');
  assert.equal(store.state.focus, 'map');
  assert.deepEqual(store.state.visible, {sched: true, map: true, top: true, downloads: false});
});

test('focusing the output leaves the panes as they were', () => {
  const store = new PaneStore();
  store.hide('sched');
  store.focus('output');
  assert.deepEqual(store.state.visible, {sched: false, map: true, top: true, downloads: false});
});

test('hiding the focused pane gives the focus back to the output', () => {
  const store = new PaneStore();
  store.focus('top');
  store.hide('top');
  assert.equal(store.state.focus, 'output');
  assert.equal(store.state.visible.top, false);
});

test('toggling the focused pane off gives the focus back to the output', () => {
  const store = new PaneStore();
  store.focus('sched');
  store.toggle('sched');
  assert.equal(store.state.focus, 'output');
});

test('hiding another pane keeps the focus where it is', () => {
  const store = new PaneStore();
  store.focus('top');
  store.hide('map');
  assert.equal(store.state.focus, 'top');
});

test("sort changes the top pane's key and scrolls it back to its first row", () => {
  const store = new PaneStore();
  store.scroll('top', 7);
  store.scroll('sched', 3);
  store.sort('mem');
  assert.equal(store.state.sort, 'mem');
  assert.deepEqual(store.state.scroll, {sched: 3, map: 0, top: 0, downloads: 0});
});

test('cycleSort steps through every sort key in order and wraps around', () => {
  const store = new PaneStore();
  const seen: string[] = [store.state.sort];
  for (let i = 0; i < TOP_SORT_KEYS.length; i++) {
    store.cycleSort();
    seen.push(store.state.sort);
  }
  assert.deepEqual(seen, ['cpu', 'mem', 'pid', 'name', 'state', 'pri', 'time', 'cpu']);
});

test('cycleSort carries on from a key set by sort', () => {
  const store = new PaneStore();
  store.sort('pri');
  store.cycleSort();
  assert.equal(store.state.sort, 'time');
});

test("scroll moves one pane's first row, up or down", () => {
  const store = new PaneStore();
  store.scroll('top', 5);
  store.scroll('top', 3);
  assert.equal(store.state.scroll.top, 8);
  store.scroll('top', -2);
  assert.equal(store.state.scroll.top, 6);
  assert.deepEqual(store.state.scroll, {sched: 0, map: 0, top: 6, downloads: 0});
});

test('scroll stops at the limit given, so the first move back up shows at once', () => {
  const store = new PaneStore();
  store.scroll('top', 30, 12);
  assert.equal(store.state.scroll.top, 12);
  store.scroll('top', -3, 12);
  assert.equal(store.state.scroll.top, 9);
  // content that shrank since: the move starts from the new limit
  store.scroll('top', 30, 12);
  store.scroll('top', -3, 5);
  assert.equal(store.state.scroll.top, 2);
});

test('scroll never goes above the first row', () => {
  const store = new PaneStore();
  store.scroll('sched', -5);
  assert.equal(store.state.scroll.sched, 0);
  store.scroll('sched', 4);
  store.scroll('sched', -100);
  assert.equal(store.state.scroll.sched, 0);
});

test('describe lists each pane in screen order with whether it is shown and focused', () => {
  const store = new PaneStore();
  assert.deepEqual(store.describe(), {
    panes: [
      {name: 'sched', visible: true, focused: false},
      {name: 'map', visible: true, focused: false},
      {name: 'top', visible: true, focused: false},
      {name: 'downloads', visible: false, focused: false},
    ],
    sort: 'cpu',
  });
  store.hide('map');
  store.focus('top');
  store.sort('name');
  assert.deepEqual(store.describe(), {
    panes: [
      {name: 'sched', visible: true, focused: false},
      {name: 'map', visible: false, focused: false},
      {name: 'top', visible: true, focused: true},
      {name: 'downloads', visible: false, focused: false},
    ],
    sort: 'name',
  });
});

test('every change makes a new state object and leaves the old one as it was', () => {
  const store = new PaneStore();
  const before = store.state;
  store.hide('map');
  assert.notEqual(store.state, before);
  assert.equal(before.visible.map, true);
  const afterHide = store.state;
  store.scroll('top', 2);
  assert.notEqual(store.state, afterHide);
  assert.equal(afterHide.scroll.top, 0);
  assert.equal(store.getState(), store.state, 'stable between changes');
});

test('subscribers hear every change until they unsubscribe', () => {
  const store = new PaneStore();
  const seen: string[] = [];
  const unsubscribe = store.subscribe(() => seen.push(store.getState().focus));
  store.show('top');
  store.focus('map');
  store.hide('map');
  store.sort('pid');
  store.cycleSort();
  store.scroll('top', 1);
  assert.equal(seen.length, 6);
  assert.deepEqual(seen.slice(0, 3), ['output', 'map', 'output']);
  unsubscribe();
  store.focus('top');
  assert.equal(seen.length, 6);
});
