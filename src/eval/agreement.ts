// How an ensemble's members agree on the test images: each member's accuracy, the images every member
// misclassifies and those at least one does, and how many of the ensemble's own errors every member made
// too. Averaging mends mostly the mistakes that members do not share (and can outvote a member that was
// right); an image every member gets wrong it rescues only where the members are wrong in different ways
// and the truth comes second. So these say how much more members of the same kind can add. Browser-safe.

export interface Agreement {
  /** Each member's accuracy on the test images, in member order. */
  memberAccuracy: number[];
  /** Test images that every member misclassifies. */
  missedByEvery: number;
  /** Test images that at least one member misclassifies. */
  missedByAny: number;
  /** The ensemble's misclassified test images. */
  errors: number;
  /** Of those, the ones every member misclassified too. */
  errorsMissedByEvery: number;
}

/** labels: the true class of each test image; members: each member's predicted classes; ensemble: the ensemble's. */
export function memberAgreement(labels: ArrayLike<number>, members: ArrayLike<number>[], ensemble: ArrayLike<number>): Agreement {
  const n = labels.length;
  if (members.length === 0) throw new Error('memberAgreement: no members');
  const all = [...members, ensemble];
  const short = all.findIndex((p) => p.length !== n);
  if (short >= 0) {
    const what = short === members.length ? "the ensemble's predictions" : `member ${short + 1}'s predictions`;
    throw new Error(`memberAgreement: ${what} cover ${all[short].length} images, the labels ${n}`);
  }
  const right = members.map(() => 0);
  const a: Agreement = { memberAccuracy: [], missedByEvery: 0, missedByAny: 0, errors: 0, errorsMissedByEvery: 0 };
  for (let i = 0; i < n; i++) {
    let wrong = 0;
    members.forEach((p, k) => (p[i] === labels[i] ? right[k]++ : wrong++));
    const every = wrong === members.length;
    if (every) a.missedByEvery++;
    if (wrong > 0) a.missedByAny++;
    if (ensemble[i] !== labels[i]) {
      a.errors++;
      if (every) a.errorsMissedByEvery++;
    }
  }
  a.memberAccuracy = right.map((r) => (n === 0 ? NaN : r / n));
  return a;
}

/** One line for a run's log: the members' accuracies and what they share. */
export function describeAgreement(a: Agreement, images: number): string {
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  return (
    `Members on the ${images.toLocaleString('en-US')} test images: ${a.memberAccuracy.map(pct).join(', ')}; every member misclassifies ` +
    `${a.missedByEvery} of them, at least one ${a.missedByAny}; of the ensemble's ${a.errors} errors, every member made ${a.errorsMissedByEvery}`
  );
}
