// CSV reading: both layouts (Kaggle's header or none), labelled and unlabeled rows, and one test per kind
// of malformed input, each checking that the message names the file, the line and what is wrong.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { csvLines, readMnistCsv } from '../src/data/csv.js';
import { loadMnist } from '../src/data/mnist.js';
import { cap } from '../src/data/sources.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('digitnet-csv-');
const mnist = loadMnist();
const header = (labeled: boolean): string => [...(labeled ? ['label'] : []), ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',');
const row = (label: number | null, fill = 0): string => [...(label === null ? [] : [label]), ...new Array(784).fill(fill)].join(',');

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Reading `text` fails with exactly `file:line: message`. */
async function rejects(name: string, text: string, line: number | null, message: RegExp, kind: 'labeled' | 'unlabeled' | 'auto' = 'labeled'): Promise<void> {
  const p = file(name, text);
  await assert.rejects(readMnistCsv(p, { kind }), (e: Error) => {
    const prefix = line === null ? `${p}: ` : `${p}:${line}: `;
    assert.ok(e.message.startsWith(prefix), `expected '${prefix}...', got '${e.message}'`);
    assert.match(e.message.slice(prefix.length), message);
    return true;
  });
}

test('MNIST rows written as CSV read back identically, with and without a header', async () => {
  const set = cap(mnist.test, 50);
  for (const h of ['none', 'kaggle'] as const) {
    const p = file(`roundtrip-${h}.csv`, [...csvLines(set, h)].join(''));
    const r = await readMnistCsv(p, { kind: 'labeled' });
    assert.equal(r.count, 50);
    assert.equal(r.labeled, true);
    assert.equal(r.hasHeader, h === 'kaggle');
    assert.deepEqual(r.labels, Uint8Array.from(set.labels));
    assert.deepEqual(r.images, Uint8Array.from(set.images));
    assert.equal(r.lines[0], h === 'kaggle' ? 2 : 1);
  }
});

test('unlabeled rows (Kaggle test.csv) with and without the pixel header', async () => {
  const set = { ...cap(mnist.test, 5), labels: new Uint8Array(0) };
  for (const h of ['none', 'kaggle'] as const) {
    const p = file(`unlabeled-${h}.csv`, [...csvLines(set, h)].join(''));
    const r = await readMnistCsv(p, { kind: 'auto' });
    assert.equal(r.labeled, false);
    assert.equal(r.count, 5);
    assert.deepEqual(r.images, Uint8Array.from(mnist.test.images.subarray(0, 5 * 784)));
  }
});

test('Windows line endings, a byte-order mark, spaces and a trailing blank line are accepted; limit stops early', async () => {
  const text = '\uFEFF' + header(true) + '\r\n' + row(3, 7).replace(/,/g, ', ') + '\r\n' + row(4, 255) + '\r\n' + row(5) + '\r\n\r\n';
  const r = await readMnistCsv(file('crlf.csv', text), { kind: 'labeled' });
  assert.equal(r.count, 3);
  assert.deepEqual([...r.labels], [3, 4, 5]);
  assert.equal(r.images[0], 7);
  assert.equal(r.images[784], 255);
  const limited = await readMnistCsv(file('crlf2.csv', text), { kind: 'labeled', limit: 2 });
  assert.equal(limited.count, 2);
});

test('a row with too few columns names its line', async () => {
  const bad = row(1).split(',').slice(0, 700).join(',');
  await rejects('short.csv', `${row(0)}\n${row(1)}\n${bad}\n`, 3, /^700 columns, expected 785 \(label \+ 784 pixels\)$/);
});

test('a row with too many columns names its line', async () => {
  await rejects('long.csv', `${header(true)}\n${row(0)}\n${row(1)},9\n`, 3, /^786 columns, expected 785/);
});

test('a first row of the wrong width says what was expected', async () => {
  await rejects('width.csv', '1,2,3\n', 1, /^3 columns, expected 785 \(label \+ 784 pixels\)$/);
});

test('a value that is not a number names the column', async () => {
  const cells = row(2).split(',');
  cells[101] = 'abc';
  await rejects('nan.csv', `${row(0)}\n${cells.join(',')}\n`, 2, /^column 102 is 'abc', not a number$/);
});

test('an empty value is reported as empty', async () => {
  const cells = row(2).split(',');
  cells[5] = '';
  await rejects('blank-cell.csv', `${cells.join(',')}\n`, 1, /^column 6 is empty, not a number$/);
});

test('a pixel outside 0..255 names the pixel and its place in the image', async () => {
  const cells = row(2).split(',');
  cells[1 + 30] = '256';
  await rejects('pixel.csv', `${header(true)}\n${cells.join(',')}\n`, 2, /^pixel 30 \(column 32, row 1, column 2 of the image\) is 256, outside 0\.\.255$/);
  const neg = row(2).split(',');
  neg[1] = '-1';
  await rejects('pixel-neg.csv', `${neg.join(',')}\n`, 1, /^pixel 0 .* is -1, outside 0\.\.255$/);
});

test('a label that is not a class index 0..255 is refused (any number of classes is read)', async () => {
  await rejects('label.csv', `${row(0)}\n${row(1)}\n${row(256)}\n`, 3, /^label is 256, expected a whole class index 0\.\.255$/);
  await rejects('label-frac.csv', `${row(0).replace(/^0/, '2.5')}\n`, 1, /^label is 2\.5, expected a whole class index 0\.\.255$/);
});

test('an empty file is refused', async () => {
  await rejects('empty.csv', '', null, /^the file is empty$/);
  await rejects('blank-lines.csv', '\n\n', null, /^the file is empty$/);
});

test('a header with no rows is refused', async () => {
  await rejects('header-only.csv', `${header(true)}\n`, null, /^the file has a header but no data rows$/);
});

test('a blank line between rows is refused rather than skipped', async () => {
  await rejects('gap.csv', `${row(0)}\n\n${row(1)}\n`, 2, /^empty line between rows/);
});

test('a header that is not MNIST pixels names the column', async () => {
  const h = header(true).replace('pixel9,', 'colour,');
  await rejects('header.csv', `${h}\n${row(0)}\n`, 1, /^header column 11 is 'colour', expected a pixel name such as 'pixel9'$/);
});

test('training data without labels is refused; labelled rows where unlabeled are expected too', async () => {
  await rejects('nolabel.csv', `${row(null)}\n`, 1, /^784 columns: the rows have no label; expected 785/);
  await rejects('labelled.csv', `${row(1)}\n`, 1, /^785 columns: expected 784 pixel columns without a label/, 'unlabeled');
});

test('a missing file and a folder are named', async () => {
  await assert.rejects(readMnistCsv(join(dir, 'nope.csv')), /nope\.csv: no such file/);
  await assert.rejects(readMnistCsv(dir), /is a folder, not a CSV file/);
});

test('pixels written as fractions 0..1 are refused, naming the flag that reads them; with it they are scaled by 255', async () => {
  const fractions = [3, ...Array.from({ length: 784 }, (_, i) => (i % 7 === 0 ? 0.5 : i % 5 === 0 ? 1 : 0))].join(',');
  await rejects('fractions.csv', `${fractions}\n`, 1, /^the pixels are fractions from 0 to 1 \(the largest on this line is 1\), not 0\.\.255; pass --pixel-range 0-1 to read them so/);
  const r = await readMnistCsv(file('fractions-ok.csv', `${fractions}\n`), { kind: 'labeled', pixelRange: '0-1' });
  assert.equal(r.images[0], 128, '0.5 × 255, rounded');
  assert.equal(r.images[5], 255);
  assert.equal(r.labels[0], 3);
  await assert.rejects(readMnistCsv(file('over-one.csv', `${row(2, 7)}\n`), { kind: 'labeled', pixelRange: '0-1' }), /over-one\.csv:1: pixel 0 .* is 7, outside 0\.\.1 \(--pixel-range 0-1\)$/);
  // Fractions among 0..255 values (an image resampled as floats) are still 0..255 data, rounded.
  const mixed = row(4, 0).split(',');
  mixed[1] = '127.6';
  mixed[2] = '255';
  assert.equal((await readMnistCsv(file('mixed.csv', `${mixed.join(',')}\n`), { kind: 'labeled' })).images[0], 128);
});

test('hexadecimal, exponent and Infinity notation are refused as pixels', async () => {
  for (const [value, name] of [['0x10', 'hex'], ['1e2', 'exp'], ['Infinity', 'inf']]) {
    const cells = row(2).split(',');
    cells[3] = value;
    await rejects(`notation-${name}.csv`, `${row(0)}\n${cells.join(',')}\n`, 2, new RegExp(`^column 4 is '${value}', not a decimal number`));
  }
});

test('quoted fields are read: a fully quoted CSV with its header, and quotes around some values', async () => {
  const q = (s: string): string => s.split(',').map((c) => `"${c}"`).join(',');
  const r = await readMnistCsv(file('quoted.csv', `${q(header(true))}\n${q(row(7, 3))}\n${row(1, 9).replace(/^1,9,/, '1,"9",')}\n`), { kind: 'labeled' });
  assert.equal(r.hasHeader, true);
  assert.deepEqual([...r.labels], [7, 1]);
  assert.equal(r.images[0], 3);
  assert.equal(r.images[784], 9);
  await rejects('open-quote.csv', `${row(0).replace(/^0,/, '"0,')}\n`, 1, /^a quoted field is not closed/);
});

test('text that is not UTF-8 is refused with its encoding named', async () => {
  const text = `${header(true)}\n${row(1)}\n`;
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  await rejects('utf16.csv', utf16 as unknown as string, null, /^the file is UTF-16 \(little-endian\); save it as UTF-8/);
  await rejects('utf16-nobom.csv', Buffer.from(text, 'utf16le') as unknown as string, null, /^the file is UTF-16 \(little-endian, no byte-order mark\)/);
  const latin1 = Buffer.from(`${header(true).replace('pixel0', 'pixél0')}\n${row(1)}\n`, 'latin1');
  await rejects('latin1.csv', latin1 as unknown as string, null, /^not UTF-8 text \(an invalid byte sequence within bytes 0\.\.\d+\); perhaps Latin-1 or Windows-1252/);
});
