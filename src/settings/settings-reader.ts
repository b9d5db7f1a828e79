// The one typed parser of environment settings: integers, seconds, lists, IDs, enums, URLs and N/S rates, each with
// one rule and one error wording. A reader collects one line per invalid value (never echoing a secret) instead of
// throwing, so a start-up reports every problem at once. Only variables of the settings table can be read; numeric
// and plain defaults come from the table.
import { settingSpec } from './settings-table.ts';

/** The environment as the composition roots hand it down (src/settings/process-env.ts reads the real one). */
export type Env = Readonly<Record<string, string | undefined>>;

export interface IntRange {
  min: number;
  max: number;
}

export class SettingsReader {
  readonly errors: string[] = [];
  /** Every variable looked at, in order (tests check each is documented). */
  readonly read: string[] = [];
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  /** The value exactly as set (undefined when unset); '' stays '' (for "empty disables"). */
  exact(name: string): string | undefined {
    settingSpec(name);
    if (!this.read.includes(name)) this.read.push(name);
    return this.env[name];
  }

  /** The trimmed value; undefined when unset or blank. */
  raw(name: string): string | undefined {
    const v = this.exact(name)?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  /** Free text; the table's default when unset or blank (pass `fallback` for defaults the table only describes). */
  text(name: string, fallback?: string): string {
    return this.raw(name) ?? fallback ?? settingSpec(name).default;
  }

  /** A whole number within `range`; the table's default when unset. */
  int(name: string, range: IntRange): number {
    return this.whole(name, range, 'a whole number');
  }

  /**
   * Whole seconds within `range` (fractions are refused: one rule for every *_SECONDS); the table's default when unset.
   */
  seconds(name: string, range: IntRange): number {
    return this.whole(name, range, 'a whole number of seconds');
  }

  /** Comma-separated, trimmed, empty items dropped. */
  list(name: string): string[] {
    return (this.exact(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  /** A list whose every item matches `pattern`. */
  ids(name: string, pattern: RegExp, what: string): string[] {
    const ids = this.list(name);
    for (const id of ids) if (!pattern.test(id)) this.errors.push(`${name}: "${id}" is not ${what}`);
    return ids;
  }

  /** One of `values` (case-insensitive); the table's default when unset or invalid. */
  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const dflt = settingSpec(name).default as T;
    const raw = this.raw(name);
    if (raw === undefined) return dflt;
    const v = raw.toLowerCase();
    if ((values as readonly string[]).includes(v)) return v as T;
    this.errors.push(`${name}: "${this.exact(name)}" is not one of ${values.join(', ')}`);
    return dflt;
  }

  /** An http(s) URL, with a trailing `/` added; undefined when unset. */
  url(name: string): string | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    let u: URL | undefined;
    // Never echo credentials embedded in the URL (https://user:password@proxy/...), valid or not.
    const shown = JSON.stringify(
      raw
        .replace(/\/\/[^/?#]*@/, '//***@')
        .replace(/^[^/:]*:[^/]*@/, '***@')
        .slice(0, 100),
    );
    try {
      u = new URL(raw);
    } catch {
      this.errors.push(`${name}: ${shown} is not a URL`);
    }
    if (u !== undefined && u.protocol !== 'http:' && u.protocol !== 'https:')
      this.errors.push(`${name}: ${shown} must be http(s)`);
    return raw.endsWith('/') ? raw : `${raw}/`;
  }

  /** `N/S`: N events per S seconds, both >= 1; the table's default when unset. */
  rate(name: string): { max: number; windowMs: number } {
    const parse = (s: string): { max: number; windowMs: number } | null => {
      const m = /^(\d+)\/(\d+)$/.exec(s);
      return m === null || Number(m[1]) < 1 || Number(m[2]) < 1
        ? null
        : { max: Number(m[1]), windowMs: Number(m[2]) * 1000 };
    };
    const dflt = parse(settingSpec(name).default);
    if (dflt === null) throw new Error(`${name}: the table's default is not N/S`);
    const raw = this.raw(name);
    if (raw === undefined) return dflt;
    const r = parse(raw);
    if (r === null)
      this.errors.push(`${name}: "${raw}" is not N/SECONDS with N, SECONDS >= 1 (e.g. ${settingSpec(name).default})`);
    return r ?? dflt;
  }

  private whole(name: string, range: IntRange, what: string): number {
    const dflt = Number(settingSpec(name).default);
    if (!Number.isInteger(dflt)) throw new Error(`${name}: the table's default is not a whole number`);
    const raw = this.raw(name);
    if (raw === undefined) return dflt;
    if (!/^\d+$/.test(raw)) {
      this.errors.push(`${name}: "${raw}" is not ${what}`);
      return dflt;
    }
    const n = Number(raw);
    if (n < range.min || n > range.max) {
      this.errors.push(`${name}: ${n} is outside ${range.min}..${range.max}`);
      return dflt;
    }
    return n;
  }
}
