// A shell Context for command tests: script mode's context over a fresh kernel, an in-memory
// history store, colour off, and blocking commands that give up after TEST_BLOCK_TIMEOUT_TICKS so
// a broken test fails instead of hanging. Use:
//   const context = createTestContext({scheduler: 'rr', schedulerOptions: {quantum: 1}});
//   const outcome = await run(context, 'sem create A; sem ls');   // the last command's outcome
//   const {lines, data} = await runOk(context, 'mem');               // fails the test on an error

import assert from 'node:assert/strict';
import {Chalk} from 'chalk';
import {createKernel, type KernelOptions} from '../../src/kernel/index.js';
import type {Context} from '../../src/shell/command.js';
import {createScriptContext} from '../../src/shell/context.js';
import {openHistoryStore, type HistoryStore} from '../../src/shell/history-store.js';
import {blocksToLines} from '../../src/shell/format.js';
import {parseLine} from '../../src/shell/parse.js';
import {runCommand, type Outcome} from '../../src/shell/run-line.js';

/** Ticks a blocking command may wait in a test before it fails with ETIMEDOUT. */
export const TEST_BLOCK_TIMEOUT_TICKS = 100_000;

export interface TestContextOptions extends KernelOptions {
  /**
   * Record every finished process into context.history, as the shell does.
   * @default true
   */
  recordHistory?: boolean;
  /**
   * Where finished processes go; a file-backed store lets a test span several runs.
   * @default openHistoryStore(':memory:')
   */
  history?: HistoryStore;
}

/** A Context over a fresh kernel, built as script mode builds it; history lives in memory and colour is off. */
export function createTestContext(options: TestContextOptions = {}): Context {
  const {recordHistory = true, history = openHistoryStore(':memory:'), ...kernelOptions} = options;
  return createScriptContext(createKernel(kernelOptions), history, new Chalk({level: 0}), {
    recordHistory,
    defaultTimeout: TEST_BLOCK_TIMEOUT_TICKS,
  });
}

/** Run every command on `text` in order; returns the last outcome, or the first failure. */
export async function run(context: Context, text: string): Promise<Outcome> {
  const lines = parseLine(text);
  assert.ok(lines.length > 0, `no command in \`${text}\``);
  let outcome: Outcome | undefined;
  for (const line of lines) {
    outcome = await runCommand(line, context);
    if (!outcome.ok) return outcome;
  }
  return outcome!;
}

/** Like run(), but fails the test when a command fails; returns the last command's lines and data. */
export async function runOk(
  context: Context,
  text: string,
): Promise<{lines: string[]; data: Record<string, unknown>}> {
  const outcome = await run(context, text);
  if (!outcome.ok) assert.fail(`\`${text}\` failed with ${outcome.code}: ${outcome.error}`);
  return {lines: linesOf(outcome), data: outcome.data};
}

/** Run `text`, expecting it to fail with `code`; returns the error message. */
export async function runFails(context: Context, text: string, code: string): Promise<string> {
  const outcome = await run(context, text);
  if (outcome.ok)
    assert.fail(`\`${text}\` succeeded, expected ${code}; printed:\n${linesOf(outcome).join('\n')}`);
  assert.equal(outcome.code, code, `\`${text}\` failed with ${outcome.code}: ${outcome.error}`);
  return outcome.error;
}

/** What a failed command must leave untouched: the tables, the clock and the event log. */
export function kernelState(context: Context): Record<string, unknown> {
  const {kernel} = context;
  const snapshot = kernel.snapshot();
  return {
    time: snapshot.time,
    processes: snapshot.processes,
    memory: snapshot.memory,
    semaphores: snapshot.semaphores,
    queues: snapshot.queues,
    resources: snapshot.resources,
    avoidance: snapshot.avoidance,
    events: kernel.recentEvents().map((event) => event.seq),
  };
}

/** What an outcome printed, as script mode shows it (tables laid out, colour off). */
export function linesOf(outcome: Outcome): string[] {
  return blocksToLines(outcome.blocks ?? [], new Chalk({level: 0}));
}
