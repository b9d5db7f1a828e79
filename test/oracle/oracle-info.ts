// What the oracle suite's global setup hands to the test files.
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the built containers/image oracle (test/oracle/cimage). */
    oracleBinary: string;
  }
}

export function oracleBinary(): string {
  return inject('oracleBinary');
}
