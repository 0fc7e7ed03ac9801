// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017: Zalando's article images, 28x28 gray, ten classes, MNIST's
// IDX layout and file names), as Debian's `dataset-fashion-mnist` package installs it. `--data fashion-mnist`
// reads it from there (or from DIGITNET_FASHION_MNIST, a folder of the same four files); when it is missing,
// the error gives the one command that installs it. Node-only.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FASHION_MNIST = 'fashion-mnist';

/** Where Debian's dataset-fashion-mnist puts the four gzipped IDX files. */
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';
export const DEBIAN_FASHION_PACKAGE = 'dataset-fashion-mnist';

/** The ten classes, by label (the dataset's README). */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The folder holding Fashion-MNIST's IDX files, or an error saying how to install them. */
export function fashionMnistDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DIGITNET_FASHION_MNIST || DEBIAN_FASHION_DIR;
  if (existsSync(join(dir, 'train-images-idx3-ubyte.gz')) || existsSync(join(dir, 'train-images-idx3-ubyte'))) return dir;
  const where = env.DIGITNET_FASHION_MNIST ? `DIGITNET_FASHION_MNIST=${dir} holds` : `${dir} holds`;
  throw new Error(`--data ${FASHION_MNIST}: ${where} no Fashion-MNIST files (Debian's ${DEBIAN_FASHION_PACKAGE} package is not installed); install it with \`sudo apt-get install ${DEBIAN_FASHION_PACKAGE}\``);
}
