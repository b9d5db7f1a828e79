// The short-name scenarios run on real podman (short-names.lab.test.ts) and captured into
// test/fixtures/podman-lab/short-name-* (capture-short-name-fixtures.ts): an alias hit, the search order with the
// first search registry failing (each candidate through its own mirrors), and enforcing mode with an ambiguous list.
import { MA, MDOWN, REPO, SRC } from './lab.ts';

export interface ShortNameScenario {
  name: string;
  title: string;
  /** The whole registries.conf podman reads (its own search list, mode and aliases). */
  conf: string;
  /** The short name as a pod spec would carry it. */
  ref: string;
}

const search = `unqualified-search-registries = ["${MDOWN}", "${SRC}"]\n`;
const repoMirror =
  `\n[[registry]]\n  location = "${SRC}/repo"\n\n  ` + `[[registry.mirror]]\n    location = "${MA}/mirror/repo"\n`;

export const SHORT_NAME_SCENARIOS: ShortNameScenario[] = [
  {
    name: 'short-name-alias-hit',
    title:
      'an alias is the only candidate, even in enforcing mode: the unreachable first search registry is never tried',
    conf: `${search}short-name-mode = "enforcing"\n\n[aliases]\n  "exampleimage" = "${SRC}/${REPO}"\n`,
    ref: 'exampleimage:latest',
  },
  {
    name: 'short-name-search-first-fails',
    title:
      'permissive (no TTY): the first search registry is unreachable, ' +
      'the second candidate is pulled through its own mirror',
    conf: `${search}short-name-mode = "permissive"\n${repoMirror}`,
    ref: `${REPO}:latest`,
  },
  {
    name: 'short-name-enforcing-ambiguous',
    title: 'enforcing with two candidates and no alias: podman fails before contacting any registry',
    conf: `${search}short-name-mode = "enforcing"\n${repoMirror}`,
    ref: `${REPO}:latest`,
  },
];
