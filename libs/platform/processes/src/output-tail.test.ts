import { describe, expect, it } from 'vitest';
import { isNotableLine, OutputTail, summarizeLine } from './index';

describe('output tail', () => {
  it('keeps the last lines only, oldest first', () => {
    const tail = new OutputTail(3);
    for (let index = 1; index <= 10; index += 1) tail.push(`line ${index}`);
    expect(tail.lines).toEqual(['line 8', 'line 9', 'line 10']);
  });

  it('counts plain text and pino warnings and errors as notable, not info', () => {
    expect(isNotableLine('Error: boom')).toBe(true);
    expect(isNotableLine('   ')).toBe(false);
    expect(isNotableLine('{"level":30,"msg":"request completed"}')).toBe(false);
    expect(isNotableLine('{"level":40,"msg":"slow"}')).toBe(true);
    expect(isNotableLine('{not json')).toBe(true);
    const tail = new OutputTail();
    for (const line of ['{"level":30,"msg":"a"}', '{"level":50,"msg":"b"}', '{"level":30,"msg":"c"}'])
      tail.push(line);
    expect(tail.notable()).toEqual(['{"level":50,"msg":"b"}']);
  });

  it('summarizes a pino line as its message and error', () => {
    expect(summarizeLine('{"level":50,"msg":"publish failed","err":{"message":"ECONNREFUSED"}}')).toBe(
      'publish failed: ECONNREFUSED',
    );
    expect(summarizeLine('plain')).toBe('plain');
  });
});
