// The samplers: each file registers itself when loaded; this list is the one place that loads them.

import './grid.js';
import './random.js';
import './tpe.js';

export { createSampler, samplerNames, type Sampler, type SampleContext } from './sampler.js';
