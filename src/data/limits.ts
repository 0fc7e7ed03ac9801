// The most that each kind of input may cost, checked before the work it would cause (README, "Input
// limits"). Each refusal names the file and the limit. Browser-safe constants.

export const DATA_LIMITS = {
  /** Characters in one CSV line: a row of 785 values needs at most about 4,000. */
  csvLineChars: 65_536,
  /** Rows in one CSV file: 1,000,000 images hold 784 MB of pixels. */
  csvRows: 1_000_000,
  /** Bytes of data in one IDX file once decompressed, as its header declares them (1 GiB). */
  idxBytes: 1024 ** 3,
  /** Size of an image file read from disk (PNG or JPEG). */
  imageFileBytes: 64 * 1024 * 1024,
  /** Pixels in an image, from its header, before it is decoded: 50 megapixels (200 MB decoded). */
  imagePixels: 50_000_000,
  /** Pixels on the longer side of an image. */
  imageSide: 65_535,
};
