// Connected components of an ink mask (8-connected: strokes that touch at a corner are one piece), with
// each component's bounding box and pixel count. Browser-safe.

export interface Component {
  /** 1-based label, as written in `labels`. */
  id: number;
  x0: number;
  y0: number;
  /** Inclusive. */
  x1: number;
  y1: number;
  area: number;
  /** How many of its pixels lie on the image's outermost rows and columns. */
  border: number;
}

export interface Components {
  /** Per pixel, the component's id, or 0 for no ink. */
  labels: Int32Array;
  list: Component[];
}

/** Labels the mask's components by flood fill with an explicit stack (no recursion depth to overflow). */
export function connectedComponents(mask: Uint8Array, width: number, height: number): Components {
  const labels = new Int32Array(mask.length);
  const list: Component[] = [];
  const stack = new Int32Array(mask.length);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const c: Component = { id: list.length + 1, x0: width, y0: height, x1: -1, y1: -1, area: 0, border: 0 };
    let top = 0;
    stack[top++] = start;
    labels[start] = c.id;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      c.area++;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) c.border++;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (mask[j] && !labels[j]) {
            labels[j] = c.id;
            stack[top++] = j;
          }
        }
      }
    }
    list.push(c);
  }
  return { labels, list };
}
