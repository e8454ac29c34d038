// The console's keyboard, in one place: a key press edits the line, recalls history, completes,
// runs the line through runCommand, or drives the panes and the clock. Plain state and callbacks,
// no React, so it is tested by pressing keys; hooks/use-prompt.ts connects it to Ink.
// While a command reads a secret (readSecret, the console's Context.readSecret) every key goes to
// that secret instead, and the secret stays in this object: not in the state drawn, nor history.

import type {ClockControl} from '../command.js';
import {complete} from '../completion.js';
import type {HistoryStore} from '../history-store.js';
import {parseLine} from '../parse.js';
import {holdsInlineSecret, runCommand, warningsOf} from '../run-line.js';
import {visibleText} from '../visible-text.js';
import {MAX_CLOCK_HZ} from '../command.js';
import {ShellError} from '../errors.js';
import {keyBindingLines} from './key-bindings.js';
import type {KeyPress} from './keys.js';
import {PANE_NAMES, type PaneName} from './layout.js';
import {editLine, editSecret, EMPTY_LINE, recall, type LineState, type RecallState} from './line-editor.js';
import type {LiveContext} from './live-context.js';
import type {PaneStore} from './pane-store.js';
import type {Scrollback} from './scrollback.js';

/** Earlier lines offered by up-arrow. */
const RECALL_LINES = 1_000;
export const PROMPT = 'p2pos> ';
/** Past the newest entry: up-arrow starts from the newest, and the line typed so far becomes the draft. */
const NOT_RECALLING: RecallState = {index: Number.MAX_SAFE_INTEGER, draft: ''};

export interface PromptState {
  line: LineState;
  /** The command line running now, while a command blocks. */
  busy: string | undefined;
  /** The prompt of the secret being read (readSecret), shown instead of `busy`; never what is typed. */
  secretPrompt: string | undefined;
}

/** A secret being typed: its text so far and the promise readSecret returned. */
interface SecretEntry {
  prompt: string;
  text: string;
  resolve(text: string): void;
  reject(error: ShellError): void;
}

export interface PromptControllerOptions {
  context: LiveContext;
  clock: ClockControl;
  panes: PaneStore;
  scrollback: Scrollback;
  history: HistoryStore;
  /** Rows one PgUp moves for the output or a pane (the app reports its layout). */
  pageRows(target: PaneName | 'output'): number;
  /** How far PgDn (a pane's first row) or PgUp (the output's offset) goes as drawn now. */
  scrollLimit?(target: PaneName | 'output'): number;
  onExit(status: number): void;
}

export class PromptController {
  readonly #options: PromptControllerOptions;
  #state: PromptState = {line: EMPTY_LINE, busy: undefined, secretPrompt: undefined};
  #recall: RecallState = NOT_RECALLING;
  #entries: string[] | undefined; // loaded from the history database on the first up-arrow
  readonly #session: string[] = [];
  #lastTab = '';
  /** True from Enter until the line's last command has finished. */
  #isRunning = false;
  readonly #typeahead: KeyPress[] = [];
  #hasExited = false;
  #hasWarnedHistory = false;
  #secret: SecretEntry | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(options: PromptControllerOptions) {
    this.#options = options;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getState = (): PromptState => this.#state;

  /** Handle one key. Commands run in the background; the returned promise settles when this key's work is done. */
  press(key: KeyPress): Promise<void> | void {
    // First, so no binding (F-keys, Alt+digit, Tab, Up, type-ahead) sees a key of the secret.
    if (this.#secret) return this.#pressSecret(this.#secret, key);
    const {panes, scrollback, pageRows, scrollLimit} = this.#options;
    const isTab = key.name === 'tab' && !key.shift;
    if (!isTab) this.#lastTab = '';
    // Keys that work while a command runs: the panes, the clock, scrolling, Ctrl-C.
    if (key.name === 'ctrl-c') return this.#cancel();
    if (/^f\d+$/.test(key.name) && !key.ctrl && !key.meta)
      return this.#functionKey(Number(key.name.slice(1)));
    if (key.meta && key.name === 'text' && /^[0-4]$/.test(key.text)) {
      const index = Number(key.text);
      panes.focus(index === 0 ? 'output' : PANE_NAMES[index - 1]!);
      return;
    }
    if (key.name === 'escape') return panes.focus('output');
    if (key.name === 'pageup' || key.name === 'pagedown') {
      const focus = panes.state.focus;
      const rows = Math.max(1, pageRows(focus) - 1) * (key.name === 'pageup' ? 1 : -1);
      if (focus === 'output') scrollback.scroll(rows, scrollLimit?.('output'));
      else panes.scroll(focus, -rows, scrollLimit?.(focus));
      return;
    }
    if (this.#isRunning) {
      // Type-ahead: keys typed (or a multi-line paste) while a line runs wait their turn.
      this.#typeahead.push(key);
      return;
    }
    if (key.name === 'ctrl-d') {
      if (this.#state.line.text === '') return this.#exit(0);
      return this.#edit({...key, name: 'delete'});
    }
    switch (key.name) {
      case 'return':
        return this.submit(this.#state.line.text);
      case 'tab':
        return isTab ? this.#complete() : undefined;
      case 'up':
      case 'down':
        return this.#recallLine(key.name);
      case 'ctrl-l':
        return scrollback.clear();
      default:
        return this.#edit(key);
    }
  }

  /**
   * Read a secret (a password) at the prompt line without echo: the line shows `prompt` and nothing
   * of what is typed. Resolves with the text at Enter; rejects with ShellError EINTR on Esc, Ctrl-C
   * or Ctrl-D on an empty entry. Keys typed ahead since the command started are read as the
   * secret's first keys, as a terminal's password prompt reads them, so a password typed before
   * its prompt appeared is never run as a command. Meant for a running command (Context.readSecret);
   * rejects with EUSAGE while another secret is being read.
   */
  readSecret = (prompt: string): Promise<string> => {
    if (this.#secret) return Promise.reject(new ShellError('EUSAGE', 'A secret is already being read.'));
    return new Promise<string>((resolve, reject) => {
      const entry: SecretEntry = {prompt, text: '', resolve, reject};
      this.#secret = entry;
      this.#set({secretPrompt: prompt});
      while (this.#secret === entry && this.#typeahead.length > 0)
        this.#pressSecret(entry, this.#typeahead.shift()!);
    });
  };

  /** Run a line as if typed and Enter pressed. */
  async submit(text: string): Promise<void> {
    this.#isRunning = true;
    try {
      await this.#run(text);
    } finally {
      this.#isRunning = false;
    }
    // Replay what was typed meanwhile, in order; a line among it runs (and queues) in turn.
    while (this.#typeahead.length > 0 && !this.#isRunning && !this.#hasExited) {
      await this.press(this.#typeahead.shift()!);
    }
  }

  async #run(text: string): Promise<void> {
    const {context, scrollback} = this.#options;
    const {style} = context;
    this.#set({line: EMPTY_LINE});
    this.#recall = NOT_RECALLING;
    scrollback.append([style.cyan(PROMPT) + text]);
    if (text.trim() === '') return;
    let commands;
    try {
      commands = parseLine(text);
    } catch (error) {
      this.#remember(text, true);
      scrollback.append([style.red(`error: ${visibleText((error as Error).message)}`)]);
      return;
    }
    // A password typed inline stays out of history.sqlite; Up still recalls it in this session.
    this.#remember(text, !holdsInlineSecret(commands));
    for (const command of commands) {
      this.#set({busy: command.words.join(' ')});
      const outcome = await runCommand(command, context);
      context.session.interrupted = false;
      this.#set({busy: undefined});
      const warnings = warningsOf(outcome).map((warning) => style.yellow(`warning: ${visibleText(warning)}`));
      if (outcome.ok) scrollback.append([...warnings, ...outcome.blocks]);
      else
        scrollback.append([
          ...warnings,
          ...(outcome.blocks ?? []),
          style.red(`error: ${visibleText(outcome.error)}`),
        ]);
      if (context.session.exitStatus !== undefined) {
        this.#exit(context.session.exitStatus);
        return;
      }
    }
  }

  #cancel(): void {
    const {context, scrollback} = this.#options;
    if (this.#isRunning) {
      this.#typeahead.length = 0; // as a terminal flushes input on an interrupt
      context.interrupt();
      return;
    }
    const {text} = this.#state.line;
    scrollback.append([
      context.style.cyan(PROMPT) +
        text +
        '^C' +
        (text === '' ? context.style.dim('  (exit or Ctrl-D leaves)') : ''),
    ]);
    this.#set({line: EMPTY_LINE});
  }

  #pressSecret(entry: SecretEntry, key: KeyPress): void {
    const edit = editSecret(entry.text, key);
    if (edit === undefined) return;
    if (edit.kind === 'edit') {
      entry.text = edit.text; // nothing drawn changes, so no listener is told
      return;
    }
    const {text} = entry;
    entry.text = '';
    this.#secret = undefined;
    this.#set({secretPrompt: undefined});
    // The transcript keeps the prompt, as a terminal's does, and never the secret.
    this.#options.scrollback.append([edit.kind === 'cancel' ? entry.prompt + '^C' : entry.prompt.trimEnd()]);
    if (edit.kind === 'submit') entry.resolve(text);
    else entry.reject(new ShellError('EINTR', 'Password entry cancelled.'));
  }

  #exit(status: number): void {
    this.#hasExited = true;
    this.#typeahead.length = 0;
    this.#options.onExit(status);
  }

  #functionKey(number: number): void {
    const {panes, clock, scrollback, context} = this.#options;
    switch (number) {
      case 1:
        scrollback.append(keyBindingLines());
        return;
      case 2:
      case 3:
      case 4:
        panes.toggle(PANE_NAMES[number - 2]!);
        return;
      case 5:
        if (clock.isRunning) clock.pause();
        else clock.resume();
        return;
      case 6:
        panes.cycleSort();
        return;
      case 7:
        clock.setHz(Math.max(1, Math.floor(clock.hz / 2)));
        return;
      case 8:
        clock.setHz(Math.min(MAX_CLOCK_HZ, clock.hz * 2));
        return;
      case 9:
        panes.toggle('downloads');
        return;
      default:
        scrollback.append([context.style.dim(`F${number} does nothing here; F1 lists the keys.`)]);
    }
  }

  #edit(key: KeyPress): void {
    const line = editLine(this.#state.line, key);
    if (line) this.#set({line});
  }

  #complete(): void {
    const {context, scrollback} = this.#options;
    const {text, cursor} = this.#state.line;
    const before = text.slice(0, cursor);
    const {word, candidates, common} = complete(before, context.kernel);
    if (candidates.length === 0) return;
    const start = cursor - word.length;
    const insert = candidates.length === 1 ? candidates[0]! + ' ' : common;
    if (insert !== word) {
      const newText = text.slice(0, start) + insert + text.slice(cursor);
      this.#set({line: {text: newText, cursor: start + insert.length}});
      this.#lastTab = '';
      return;
    }
    // A second Tab with nothing to add lists the choices, as bash does.
    if (this.#lastTab === before) {
      scrollback.append([context.style.cyan(PROMPT) + text, candidates.join('  ')]);
    }
    this.#lastTab = before;
  }

  #recallLine(direction: 'up' | 'down'): void {
    const entries = this.#recallEntries(true);
    if (this.#recall.index > entries.length)
      this.#recall = {index: entries.length, draft: this.#recall.draft};
    const next = recall(entries, this.#recall, this.#state.line, direction);
    if (!next) return;
    this.#recall = next.state;
    this.#set({line: next.line});
  }

  /** Earlier lines, oldest first; the database is read the first time they are needed. */
  #recallEntries(load: boolean): string[] {
    if (this.#entries === undefined && load) {
      try {
        this.#entries = this.#options.history.lines(RECALL_LINES);
      } catch (error) {
        this.#warnHistory(error);
        this.#entries = [...this.#session];
      }
    }
    return this.#entries ?? this.#session;
  }

  #remember(text: string, isSaved: boolean): void {
    // A line kept from the database joins the lines read from it now, or the first Up would miss it.
    const entries = this.#recallEntries(!isSaved);
    if (entries[entries.length - 1] === text) return; // like bash's ignoredups
    this.#session.push(text);
    if (this.#entries !== undefined) this.#entries.push(text);
    if (!isSaved) return;
    try {
      this.#options.history.addLine(text);
    } catch (error) {
      this.#warnHistory(error);
    }
  }

  #warnHistory(error: unknown): void {
    if (this.#hasWarnedHistory) return;
    this.#hasWarnedHistory = true;
    const {scrollback, context} = this.#options;
    scrollback.append([
      context.style.yellow(`warning: command history is not saved: ${(error as Error).message}`),
    ]);
  }

  #set(change: Partial<PromptState>): void {
    this.#state = {...this.#state, ...change};
    for (const listener of this.#listeners) listener();
  }
}
