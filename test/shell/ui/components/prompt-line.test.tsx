import assert from 'node:assert/strict';
import {test} from 'node:test';
import React from 'react';
import {PromptLine} from '../../../../src/shell/ui/components/prompt-line.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';

test('the prompt shows the line being typed', () => {
  const lines = frameLines(
    <PromptLine
      prompt="p2pos> "
      line={{text: 'spawn a', cursor: 7}}
      busy={undefined}
      isClockRunning
      width={40}
    />,
  );
  assert.equal(lines[0]!.trimEnd(), 'p2pos> spawn a');
  assertFits(lines, 40, 1);
});

test('a line longer than the width scrolls so the cursor stays in view', () => {
  const text = 'spawn worker --prog ' + "'cpu 2, io 5, cpu 3'".repeat(4);
  const lines = frameLines(
    <PromptLine
      prompt="p2pos> "
      line={{text, cursor: text.length}}
      busy={undefined}
      isClockRunning
      width={40}
    />,
  );
  assertFits(lines, 40, 1);
  assert.ok(lines[0]!.startsWith('p2pos> '));
  assert.ok(lines[0]!.includes("cpu 3'"), lines[0]);
});

test('while a command runs the prompt names it and says how to stop it', () => {
  const running = frameLines(
    <PromptLine prompt="p2pos> " line={{text: '', cursor: 0}} busy="wait all" isClockRunning width={60} />,
  );
  assert.match(running[0]!, /wait all .*Ctrl-C stops it/);
  const paused = frameLines(
    <PromptLine
      prompt="p2pos> "
      line={{text: '', cursor: 0}}
      busy="wait all"
      isClockRunning={false}
      width={60}
    />,
  );
  assert.match(paused[0]!, /clock paused: F5 resumes/);
});

test('a secret prompt shows the prompt and how to finish, and no line or command', () => {
  const lines = frameLines(
    <PromptLine
      prompt="p2pos> "
      line={{text: 'ignored', cursor: 7}}
      busy="useradd alice"
      secretPrompt="Password for alice: "
      isClockRunning
      width={70}
    />,
  );
  assertFits(lines, 70, 1);
  assert.equal(lines[0]!.trimEnd(), 'Password for alice:    (not shown; Enter submits, Esc cancels)');
  const narrow = frameLines(
    <PromptLine
      prompt="p2pos> "
      line={{text: '', cursor: 0}}
      busy="login a"
      secretPrompt="Password: "
      isClockRunning
      width={20}
    />,
  );
  assertFits(narrow, 20, 1);
  assert.ok(narrow[0]!.startsWith('Password: '), narrow[0]);
});
