// Separates options from positionals before node:util parseArgs sees them: a word that begins with "-" but is not
// one of the command's options is a positional (an image reference such as "-example.com/foo" must be reported as
// an invalid reference, not as "Unknown option '-e'"), and "--" ends the options.
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Returns the arguments with every positional moved behind one "--", so parseArgs never reads them as options. */
export function positionalsLast(args: readonly string[], options: Options): string[] {
  const opts: string[] = [];
  const pos: string[] = [];
  const long = new Map(Object.entries(options));
  const short = new Map(
    Object.entries(options)
      .filter(([, o]) => o.short !== undefined)
      .map(([n, o]) => [`-${o.short}`, n]),
  );
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      for (const rest of args.slice(i + 1)) pos.push(rest);
      break;
    }
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : short.get(a);
    const opt = name === undefined ? undefined : long.get(name);
    if (opt !== undefined) {
      opts.push(a);
      // The value of a string option is the next word whatever it looks like ("--policies -" is stdin).
      if (opt.type === 'string' && !a.includes('=') && i + 1 < args.length) opts.push(args[++i]!);
    } else if (a.startsWith('--')) {
      opts.push(a); // an unknown long option stays an error ("Unknown option '--foo'")
    } else {
      pos.push(a);
    }
  }
  return pos.length > 0 ? [...opts, '--', ...pos] : opts;
}
