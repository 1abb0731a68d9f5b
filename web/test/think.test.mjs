// splitThink on hand-written model outputs: the reasoning and answer a reader sees in each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitThink } from '../src/think.js';

test('a whole <think> block, then the answer', () => {
  assert.deepEqual(splitThink('<think>\nBlue light scatters more.\n</think>\n\nRayleigh scattering.'), {
    reasoning: 'Blue light scatters more.', answer: 'Rayleigh scattering.', thinking: false,
  });
});

test('a block still open is reasoning in progress', () => {
  assert.deepEqual(splitThink('<think>Let me see'), { reasoning: 'Let me see', answer: '', thinking: true });
  assert.deepEqual(splitThink('  <think>'), { reasoning: '', answer: '', thinking: true });
});

test('the opening tag arriving a piece at a time shows nothing yet', () => {
  for (const s of ['<', '<th', '<think']) assert.deepEqual(splitThink(s), { reasoning: '', answer: '', thinking: true });
});

test('only a closing tag: the template opened the block (DeepSeek-R1, QwQ)', () => {
  assert.deepEqual(splitThink('First, 2+2.</think>It is 4.'), { reasoning: 'First, 2+2.', answer: 'It is 4.', thinking: false });
});

test('no tags: all answer, and tags later in the text are the answer\'s', () => {
  assert.deepEqual(splitThink('Hello'), { reasoning: '', answer: 'Hello', thinking: false });
  assert.deepEqual(splitThink('Use <think> tags like <think>x</think>.'), {
    reasoning: '', answer: 'Use <think> tags like <think>x</think>.', thinking: false,
  });
  assert.deepEqual(splitThink('<b>bold</b>'), { reasoning: '', answer: '<b>bold</b>', thinking: false });
});
