// Where p2pos keeps per-user files (process history). Pure: it reads only the arguments it is given,
// so each platform's rule can be tested on any platform. The caller creates the directory when it
// first writes there (history-store.ts does, with mode 0o700).

import os from 'node:os';
import path from 'node:path';

/** The process history database's file name inside the data directory. */
export const HISTORY_DB_FILE = 'history.sqlite';
export const TRACKER_DB_FILE = 'tracker.sqlite';
/** The accounts of a network of one (the console's own tracker), kept between runs. */
export const ACCOUNTS_DB_FILE = 'accounts.sqlite';

const APP_DIR = 'p2pos';

/**
 * The per-user data directory: $P2POS_DATA if set; else on Linux/BSD $XDG_DATA_HOME/p2pos or
 * ~/.local/share/p2pos; on macOS ~/Library/Application Support/p2pos; on Windows %LOCALAPPDATA%\p2pos
 * (falling back to `home`\AppData\Local\p2pos). Empty variables count as unset, and a relative
 * $XDG_DATA_HOME is ignored, as the XDG Base Directory spec requires.
 * @param env @default process.env
 * @param platform @default process.platform
 * @param home @default os.homedir()
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env.P2POS_DATA;
  if (override) return override;

  // Join with the target platform's separators, not the host's, so the result is right for `platform`.
  switch (platform) {
    case 'win32': {
      const localAppData = env.LOCALAPPDATA;
      return localAppData
        ? path.win32.join(localAppData, APP_DIR)
        : path.win32.join(home, 'AppData', 'Local', APP_DIR);
    }
    case 'darwin':
      return path.posix.join(home, 'Library', 'Application Support', APP_DIR);
    default: {
      const xdgDataHome = env.XDG_DATA_HOME;
      return xdgDataHome && path.posix.isAbsolute(xdgDataHome)
        ? path.posix.join(xdgDataHome, APP_DIR)
        : path.posix.join(home, '.local', 'share', APP_DIR);
    }
  }
}
