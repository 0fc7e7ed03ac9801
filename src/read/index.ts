// Reading whole numbers: readNumber and the parts it is made of (ink, segmentation), and the composed
// numbers and photos it is measured on. Browser-safe.

export { readNumber, MAX_WORKING_SIDE, type DigitModel, type NumberReading, type ReadDigit, type ReadOptions } from './read-number.js';
export { findInk, detectPolarity, MIN_CONTRAST, type InkMap, type Polarity } from './ink.js';
export { segment, type Segmentation } from './segment.js';
export { geometricJudge, type Cut, type InkPixels, type Judge, type Piece } from './cut.js';
export { connectedComponents, type Component, type Components } from './components.js';
export { composeNumber, type ComposedNumber, type ComposeOptions, type DigitImage } from './compose.js';
export { photograph, type Photo } from './photo.js';
export { composedSet, photoSet, scoreReadings, commonDigits, type NumberSetOptions, type PhotoItem, type ReadScores, type SetItem } from './sets.js';
