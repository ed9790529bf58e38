/** A dependency whose reachability `GET /health` reports. */
export interface HealthProbe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects otherwise. */
  check(): Promise<void>;
}
