/** The service seam: something the runtime starts after the worlds and stops before them. */

/** Something the runtime starts after the worlds and stops before them. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
