import assert from 'node:assert/strict';
import {test} from 'node:test';
import {HISTORY_DB_FILE, defaultDataDir} from '../../src/shell/data-dir.js';

const home = '/home/ada';

test('P2POS_DATA wins on every platform', () => {
  for (const platform of ['linux', 'darwin', 'win32', 'freebsd'] as const) {
    const env = {P2POS_DATA: '/srv/p2pos', XDG_DATA_HOME: '/xdg', LOCALAPPDATA: 'C:\\Local'};
    assert.equal(defaultDataDir(env, platform, home), '/srv/p2pos', platform);
  }
});

test('an empty P2POS_DATA counts as unset', () => {
  assert.equal(defaultDataDir({P2POS_DATA: ''}, 'linux', home), '/home/ada/.local/share/p2pos');
});

test('Linux uses XDG_DATA_HOME when it is set', () => {
  assert.equal(defaultDataDir({XDG_DATA_HOME: '/data/ada'}, 'linux', home), '/data/ada/p2pos');
});

test('Linux falls back to ~/.local/share without XDG_DATA_HOME', () => {
  assert.equal(defaultDataDir({}, 'linux', home), '/home/ada/.local/share/p2pos');
});

test('Linux ignores an empty or relative XDG_DATA_HOME, as the XDG spec requires', () => {
  assert.equal(defaultDataDir({XDG_DATA_HOME: ''}, 'linux', home), '/home/ada/.local/share/p2pos');
  assert.equal(defaultDataDir({XDG_DATA_HOME: 'data'}, 'linux', home), '/home/ada/.local/share/p2pos');
});

test('the BSDs follow the Linux rule', () => {
  assert.equal(defaultDataDir({XDG_DATA_HOME: '/xdg'}, 'freebsd', home), '/xdg/p2pos');
  assert.equal(defaultDataDir({}, 'openbsd', home), '/home/ada/.local/share/p2pos');
});

test('macOS uses ~/Library/Application Support and ignores XDG_DATA_HOME', () => {
  assert.equal(
    defaultDataDir({XDG_DATA_HOME: '/xdg'}, 'darwin', '/Users/ada'),
    '/Users/ada/Library/Application Support/p2pos',
  );
});

test('Windows uses LOCALAPPDATA with backslashes', () => {
  assert.equal(
    defaultDataDir({LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local'}, 'win32', 'C:\\Users\\ada'),
    'C:\\Users\\ada\\AppData\\Local\\p2pos',
  );
});

test('Windows falls back to the home AppData\\Local without LOCALAPPDATA', () => {
  assert.equal(defaultDataDir({}, 'win32', 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\p2pos');
});

test('with no arguments it describes the current user and platform', () => {
  assert.equal(typeof defaultDataDir(), 'string');
  assert.ok(defaultDataDir().length > 0);
});

test('the history database file is history.sqlite', () => {
  assert.equal(HISTORY_DB_FILE, 'history.sqlite');
});
