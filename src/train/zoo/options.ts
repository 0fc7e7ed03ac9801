// What every zoo architecture takes.

export interface ZooOptions {
  /** Seeds the initial weights, shuffles and dropout masks. */
  seed?: number;
  /** Per-example input shape (default [28, 28, 1]). */
  inputShape?: [number, number, number];
  /** Output classes (default 10). */
  classes?: number;
}
