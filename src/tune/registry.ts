// A registry of named implementations (samplers, pruners): each file registers its entry when it
// loads, and the command looks one up by name. Adding one never edits a switch elsewhere.

export interface Entry<T> {
  name: string;
  /** One line for `--help` and the README. */
  description: string;
  create(): T;
}

export class Registry<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** `what` names the kind in errors: 'sampler', 'pruner'. */
  constructor(private readonly what: string) {}

  register(entry: Entry<T>): void {
    if (this.entries.has(entry.name)) throw new Error(`${this.what} '${entry.name}' is registered twice`);
    this.entries.set(entry.name, entry);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  create(name: string): T {
    const e = this.entries.get(name);
    if (!e) throw new Error(`unknown ${this.what} '${name}' (${this.what}s: ${this.names().join(', ')})`);
    return e.create();
  }
}
