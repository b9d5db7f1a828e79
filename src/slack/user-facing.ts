// What a user in Slack reads when something fails: our own errors (input, engine, cluster, busy) say what happened
// in a sentence; a JavaScript error ("text.replace is not a function") is a bug, logged in full and shown as one.
import { foldLines } from '../domain/error-text.ts';

const JS_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

export function userFacing(e: unknown): string {
  if (!(e instanceof Error) || JS_ERRORS.some((k) => e instanceof k) || e.message.trim() === '') {
    return "an internal error in the bot (it is logged); try again, or tell the bot's admin if it persists.";
  }
  return foldLines(e.message, 300);
}
