// A handwritten-letters data set made on this machine (`digitnet data letters --out DIR`): the capitals A-Z
// rendered from Debian's handwriting-style fonts, dark ink on white 64x64 PNGs in one folder per letter, the
// layout `--data DIR` reads as an image folder. Each image takes the next font in turn, a slightly different
// size and place, a stroke a little thicker or not, and then varyLetter's augmentation. No handwritten-letters
// data set installs here; these fonts do (scripts/pretest.mjs installs them for the tests). Node-only.

import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { Random } from '../engine/random.js';
import { augmentImage, gaussianTaps } from './augment/reference.js';
import type { AugmentSpec } from './augment/spec.js';

/** One font face: the Debian package that installs it, its file and its family name. */
export interface LetterFont {
  pkg: string;
  file: string;
  family: string;
  weight?: number;
  italic?: boolean;
  /** Its glyphs' size relative to the others' (DkgHandwriting's capitals run large). */
  scale?: number;
}

const BWHT = '/usr/share/fonts/opentype/bwht';
const DKG = '/usr/share/fonts/truetype/fifthhorseman';

/** The handwriting faces: six of fonts-bwht, four of fonts-dkg-handwriting, and Breip, Klee One and Rufscript. */
export const LETTER_FONTS: LetterFont[] = [
  ...['Build', 'Connect', 'Create', 'Learn', 'Mentor', 'Organize'].map((w) => ({ pkg: 'fonts-bwht', file: `${BWHT}/BecauseWe${w}-Regular.otf`, family: `Because We ${w}` })),
  { pkg: 'fonts-dkg-handwriting', file: `${DKG}/dkg.ttf`, family: 'DkgHandwriting', scale: 0.7 },
  { pkg: 'fonts-dkg-handwriting', file: `${DKG}/dkgBd.ttf`, family: 'DkgHandwriting', weight: 700, scale: 0.7 },
  { pkg: 'fonts-dkg-handwriting', file: `${DKG}/dkgIt.ttf`, family: 'DkgHandwriting', italic: true, scale: 0.7 },
  { pkg: 'fonts-dkg-handwriting', file: `${DKG}/dkgBI.ttf`, family: 'DkgHandwriting', weight: 700, italic: true, scale: 0.7 },
  { pkg: 'fonts-breip', file: '/usr/share/fonts/truetype/breip/Breip.ttf', family: 'Breip' },
  { pkg: 'fonts-klee', file: '/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf', family: 'Klee One' },
  { pkg: 'fonts-klee', file: '/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf', family: 'Klee One', weight: 600 },
  { pkg: 'fonts-rufscript', file: '/usr/share/fonts/truetype/rufscript/Rufscript010.ttf', family: 'Rufscript' },
];

export const LETTERS = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i));
/** Each image's side, in pixels. */
export const LETTER_SIDE = 64;

/** The fonts' files, or an error naming the packages to install. */
export function checkLetterFonts(fonts = LETTER_FONTS): void {
  const missing = [...new Set(fonts.filter((f) => !existsSync(f.file)).map((f) => f.pkg))];
  if (missing.length) {
    throw new Error(`digitnet data letters: the handwriting fonts are not installed (${missing.join(', ')}); install them with \`sudo apt-get install ${missing.join(' ')}\``);
  }
}

/** One rendered letter: 8-bit gray pixels, LETTER_SIDE a side, dark ink on white. */
export interface LetterImage {
  letter: string;
  font: LetterFont;
  /** Its number among the images of its letter. */
  index: number;
  pixels: Uint8Array;
}

/**
 * `perLetter` images of each letter, the fonts taken in turn, drawn from `seed`: `onImage` gets each one
 * (letter by letter within each font, the fonts in order). One sheet per font is rendered, so each font
 * file is loaded once.
 */
export function renderLetters(perLetter: number, seed: number, onImage: (img: LetterImage) => void, fonts = LETTER_FONTS): void {
  checkLetterFonts(fonts);
  fonts.forEach((font, f) => {
    const cells: { letter: string; index: number }[] = [];
    for (const letter of LETTERS) for (let k = f; k < perLetter; k += fonts.length) cells.push({ letter, index: k });
    if (cells.length === 0) return;
    const rng = new Random(seed * 1009 + f);
    const sheet = renderSheet(font, cells.map((c) => c.letter), rng);
    cells.forEach((c, i) => onImage({ letter: c.letter, font, index: c.index, pixels: varyLetter(sheet[i], LETTER_SIDE, rng) }));
  });
}

/**
 * Renders the letters, one per cell of a sheet, with a little jitter of size, place and stroke; returns the
 * cells. Cells are twice the image's side apart, so a glyph that overflows its image is cut, never seen in
 * its neighbour's.
 */
function renderSheet(font: LetterFont, letters: string[], rng: Random): Uint8Array[] {
  const s = LETTER_SIDE;
  const pitch = 2 * s;
  const cols = Math.ceil(Math.sqrt(letters.length));
  const rows = Math.ceil(letters.length / cols);
  const texts = letters.map((l, i) => {
    const x = (i % cols) * pitch + s / 2 + rng.uniform(-3, 3);
    const y = Math.floor(i / cols) * pitch + s * 0.72 + rng.uniform(-3, 3);
    const size = rng.uniform(0.62, 0.78) * s * (font.scale ?? 1);
    const stroke = rng.uniform(0, 1.6);
    return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size.toFixed(1)}" stroke="#000" stroke-width="${stroke.toFixed(2)}">${l}</text>`;
  });
  const style = `font-family="${font.family}" font-weight="${font.weight ?? 400}" font-style="${font.italic ? 'italic' : 'normal'}"`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * pitch}" height="${rows * pitch}"><g ${style} text-anchor="middle" fill="#000">${texts.join('')}</g></svg>`;
  const img = new Resvg(svg, { background: 'white', font: { loadSystemFonts: false, fontFiles: [font.file], defaultFontFamily: font.family } }).render();
  const rgba = img.pixels;
  return letters.map((_, i) => {
    const out = new Uint8Array(s * s);
    const [cx, cy] = [(i % cols) * pitch, Math.floor(i / cols) * pitch];
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) out[y * s + x] = rgba[((cy + y) * img.width + cx + x) * 4];
    return out;
  });
}

/**
 * What each rendered letter goes through: the training runs' augmentation (data/augment/), a random
 * rotation (±8°), zoom (±10%) and slant (±10°) and an elastic distortion (Simard et al. 2003) that bends the
 * strokes as a hand would, on the ink (dark ink on white paper is turned into light ink on black and back).
 */
export const LETTER_AUGMENT: AugmentSpec = { rotate: 8, zoom: 0.1, shift: 0, shear: 10, elastic: 12, sigma: 5 };
const LETTER_TAPS = gaussianTaps(LETTER_AUGMENT.sigma);

export function varyLetter(gray: Uint8Array, side: number, rng: Random): Uint8Array {
  const ink = Float32Array.from(gray, (v) => (255 - v) / 255);
  const out = new Float32Array(side * side);
  augmentImage(ink, out, side, side, LETTER_AUGMENT, rng, LETTER_TAPS);
  return Uint8Array.from(out, (v) => Math.round(255 * (1 - Math.min(1, Math.max(0, v)))));
}

/** A font's name as part of a file name. */
export function fontSlug(f: LetterFont): string {
  return `${f.family.replace(/[^A-Za-z0-9]+/g, '')}${f.weight && f.weight >= 600 ? 'Bold' : ''}${f.italic ? 'Italic' : ''}`;
}
