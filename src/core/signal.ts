/** One observation, pulled by a probe or pushed by an intake. */
export interface Signal {
  readonly source: string;
  readonly target: string;
  readonly name: string;
  readonly value: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** What a probe returns from one check: the engine stamps source, target and time. */
export interface Sample {
  readonly name: string;
  readonly value: number;
  readonly labels?: Readonly<Record<string, string>>;
}
