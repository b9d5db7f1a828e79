// The containers/image oracle for the differential test (test/oracle): reads cases as JSON lines on
// stdin, answers each with what containers/image itself decides, one JSON line per case on stdout.
//
// Per case it writes the configuration to a fresh directory (registries.conf, registries.conf.d/*.conf,
// the machine alias cache) and asks the library, with a SystemContext pointing at those files:
//   - config:    sysregistriesv2.TryUpdatingCache (loading, post-processing, drop-ins, alias validation);
//   - reference: docker.ParseReference("//"+ref) (or ref when it is already "//name"), the docker transport's parse (normalization, :latest,
//     tag+digest refused) that podman and CRI-O's pulls go through;
//   - resolve:   sysregistriesv2.FindRegistry + (*Registry).PullSourcesFromReference, plus, per pull
//     source, the blocked check newDockerClient makes (docker/docker_client.go: FindRegistry
//     on the rewritten reference's name, "registry %s is blocked");
//   - shortName: shortnames.Resolve with the SystemContext's ShortNameMode (as CRI-O sets it) and CRI-O's
//     glue around it (crioCandidates), then the same resolution for each candidate.
//
// Stdin and stdout are pipes, never a terminal, so shortnames.Resolve never prompts (like CRI-O).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containers/image/v5/docker"
	"github.com/containers/image/v5/docker/reference"
	"github.com/containers/image/v5/pkg/shortnames"
	"github.com/containers/image/v5/pkg/sysregistriesv2"
	"github.com/containers/image/v5/types"
)

type confFile struct {
	Name string `json:"name"`
	TOML string `json:"toml"`
}

type input struct {
	ID int `json:"id"`
	// Main registries.conf; nil means the file does not exist.
	RegistriesConf *string    `json:"registriesConf"`
	DropIns        []confFile `json:"dropIns"`
	// Machine alias cache (short-name-aliases.conf); nil means the file does not exist.
	AliasCache *string  `json:"aliasCache"`
	References []string `json:"references"`
	// Short-name candidates are computed for these names, in this mode ("" = what registries.conf says).
	ShortNames    []string `json:"shortNames"`
	ShortNameMode string   `json:"shortNameMode"`
}

type outError struct {
	Error string `json:"error"`
}

type pullSource struct {
	Reference      string `json:"reference"`
	Location       string `json:"location"`
	Mirror         bool   `json:"mirror"`
	Insecure       bool   `json:"insecure"`
	PullFromMirror string `json:"pullFromMirror,omitempty"`
	Blocked        bool   `json:"blocked"`
	BlockedBy      string `json:"blockedBy,omitempty"`
}

type resolution struct {
	Error         string       `json:"error,omitempty"`
	Normalized    string       `json:"normalizedReference,omitempty"`
	MatchedPrefix *string      `json:"matchedPrefix"`
	PullSources   []pullSource `json:"pullSources"`
}

type refResult struct {
	Input string `json:"input"`
	// Error of docker.ParseReference; empty when the reference parsed.
	ReferenceError string `json:"referenceError,omitempty"`
	// Nil when the reference or the configuration failed.
	Resolve *resolution `json:"resolve,omitempty"`
}

type candidate struct {
	Value   string      `json:"value"`
	Resolve *resolution `json:"resolve"`
}

type shortResult struct {
	Input string `json:"input"`
	Error string `json:"error,omitempty"`
	// Resolved.Description(), the line CRI-O logs before pulling ("" when there is none).
	Description string      `json:"description,omitempty"`
	Candidates  []candidate `json:"candidates"`
}

type output struct {
	ID int `json:"id"`
	// Error of loading the configuration (main file, drop-ins, aliases); empty when it loaded.
	ConfigError string `json:"configError,omitempty"`
	// unqualified-search-registries after merging (null when no file set the key).
	Search     []string      `json:"search"`
	References []refResult   `json:"references"`
	ShortNames []shortResult `json:"shortNames"`
}

func main() {
	work, err := os.MkdirTemp("", "icsp-oracle-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		line := in.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var c input
		if err := json.Unmarshal(line, &c); err != nil {
			fail(fmt.Errorf("bad case line: %w", err))
		}
		res, err := runCase(work, c)
		if err != nil {
			fail(fmt.Errorf("case %d: %w", c.ID, err))
		}
		if err := enc.Encode(res); err != nil {
			fail(err)
		}
	}
	if err := in.Err(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "oracle: %v\n", err)
	os.Exit(2)
}

// runCase answers one case; the returned error is a harness failure (files), never a library verdict.
func runCase(work string, c input) (*output, error) {
	dir := filepath.Join(work, fmt.Sprint(c.ID))
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	confD := filepath.Join(dir, "registries.conf.d")
	if err := os.MkdirAll(confD, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sys := &types.SystemContext{
		SystemRegistriesConfPath:    filepath.Join(dir, "registries.conf"),
		SystemRegistriesConfDirPath: confD,
		UserShortNameAliasConfPath:  filepath.Join(dir, "short-name-aliases.conf"),
	}
	if c.RegistriesConf != nil {
		if err := os.WriteFile(sys.SystemRegistriesConfPath, []byte(*c.RegistriesConf), 0o644); err != nil {
			return nil, err
		}
	}
	for _, d := range c.DropIns {
		if strings.ContainsAny(d.Name, "/\\") || d.Name == "" {
			return nil, fmt.Errorf("bad drop-in name %q", d.Name)
		}
		if err := os.WriteFile(filepath.Join(confD, d.Name), []byte(d.TOML), 0o644); err != nil {
			return nil, err
		}
	}
	if c.AliasCache != nil {
		if err := os.WriteFile(sys.UserShortNameAliasConfPath, []byte(*c.AliasCache), 0o644); err != nil {
			return nil, err
		}
	}
	if c.ShortNameMode != "" {
		mode, err := parseMode(c.ShortNameMode)
		if err != nil {
			return nil, err
		}
		sys.ShortNameMode = &mode
	}
	// The library caches the parsed configuration per path set; every case starts cold.
	sysregistriesv2.InvalidateCache()

	res := &output{ID: c.ID, References: []refResult{}, ShortNames: []shortResult{}}
	configOK := true
	if _, err := sysregistriesv2.TryUpdatingCache(sys); err != nil {
		res.ConfigError = clean(err, dir)
		configOK = false
	} else {
		search, _, err := sysregistriesv2.UnqualifiedSearchRegistriesWithOrigin(sys)
		if err != nil {
			return nil, err
		}
		res.Search = search
	}

	for _, r := range c.References {
		rr := refResult{Input: r}
		// The docker transport's own form is "//name"; the engine accepts both "name" and "//name".
		withinTransport := r
		if !strings.HasPrefix(r, "//") {
			withinTransport = "//" + r
		}
		ref, err := docker.ParseReference(withinTransport)
		if err != nil {
			rr.ReferenceError = clean(err, dir)
		} else if configOK {
			rr.Resolve = resolve(sys, ref.DockerReference(), dir)
		}
		res.References = append(res.References, rr)
	}

	for _, name := range c.ShortNames {
		sr := shortResult{Input: name, Candidates: []candidate{}}
		values, desc, err := crioCandidates(sys, name)
		if err != nil {
			sr.Error = clean(err, dir)
		} else {
			sr.Description = clean(errors.New(desc), dir)
			for _, v := range values {
				sr.Candidates = append(sr.Candidates, candidate{Value: v.String(), Resolve: resolve(sys, v, dir)})
			}
		}
		res.ShortNames = append(res.ShortNames, sr)
	}
	return res, nil
}

// crioCandidates is what CRI-O 1.34 does around shortnames.Resolve for every image pull: the glue of cri-o
// v1.34.11 internal/storage/image.go:1011-1040 (CandidatesForPotentiallyShortImageName), restated here
// because CRI-O's packages are internal and cannot be imported:
//   - the library's TTY error becomes "short name mode is enforcing, but image name %s returns ambiguous
//     list" with the name as CRI-O received it (image.go:1021-1022);
//   - each candidate goes through references.RegistryImageReferenceFromRaw, which drops the tag of a
//     name:tag@digest candidate (internal/storage/references/registry_reference.go:36-43).
func crioCandidates(sys *types.SystemContext, imageName string) ([]reference.Named, string, error) {
	resolved, err := shortnames.Resolve(sys, imageName)
	if err != nil {
		if strings.Contains(err.Error(), "short-name resolution enforced but cannot prompt without a TTY") {
			return nil, "", fmt.Errorf("short name mode is enforcing, but image name %s returns ambiguous list", imageName)
		}
		return nil, "", err
	}
	out := make([]reference.Named, 0, len(resolved.PullCandidates))
	for _, pc := range resolved.PullCandidates {
		v := pc.Value
		_, tagged := v.(reference.NamedTagged)
		if canonical, digested := v.(reference.Canonical); tagged && digested {
			stripped, err := reference.WithDigest(reference.TrimNamed(v), canonical.Digest())
			if err != nil {
				return nil, "", err
			}
			v = stripped
		}
		out = append(out, v)
	}
	return out, resolved.Description(), nil
}

func parseMode(s string) (types.ShortNameMode, error) {
	switch s {
	case "enforcing":
		return types.ShortNameModeEnforcing, nil
	case "permissive":
		return types.ShortNameModePermissive, nil
	case "disabled":
		return types.ShortNameModeDisabled, nil
	}
	return types.ShortNameModeInvalid, fmt.Errorf("unknown short-name mode %q", s)
}

// resolve is what docker/docker_image_src.go newImageSource does with a parsed reference before it
// contacts anything: FindRegistry on the name (a default entry when none matches), the pull sources,
// and for each attempt the blocked check of newDockerClient on the rewritten reference's own entry.
// Endpoint.Insecure is what the attempt uses for TLS (newImageSourceAttempt).
func resolve(sys *types.SystemContext, ref reference.Named, dir string) *resolution {
	res := &resolution{Normalized: ref.String(), PullSources: []pullSource{}}
	reg, err := sysregistriesv2.FindRegistry(sys, ref.Name())
	if err != nil {
		return &resolution{Error: clean(err, dir), PullSources: []pullSource{}}
	}
	if reg == nil {
		reg = &sysregistriesv2.Registry{Endpoint: sysregistriesv2.Endpoint{Location: ref.String()}, Prefix: ref.String()}
	} else {
		p := reg.Prefix
		res.MatchedPrefix = &p
	}
	sources, err := reg.PullSourcesFromReference(ref)
	if err != nil {
		res.Error = clean(err, dir) // a rewrite error: no source is tried at all
		return res
	}
	for i, s := range sources {
		ps := pullSource{
			Reference:      s.Reference.String(),
			Location:       s.Endpoint.Location,
			Mirror:         i < len(sources)-1, // the primary is always appended last
			Insecure:       s.Endpoint.Insecure,
			PullFromMirror: s.Endpoint.PullFromMirror,
		}
		own, err := sysregistriesv2.FindRegistry(sys, s.Reference.Name())
		if err != nil {
			return &resolution{Error: clean(err, dir), PullSources: []pullSource{}}
		}
		if own != nil && own.Blocked {
			ps.Blocked = true
			ps.BlockedBy = own.Prefix
		}
		res.PullSources = append(res.PullSources, ps)
	}
	return res
}

// clean makes an error message independent of this run's temporary directory: paths are shown as
// they are relative to it (registries.conf, registries.conf.d/10-x.conf, short-name-aliases.conf).
func clean(err error, dir string) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
	return strings.ReplaceAll(msg, dir, ".")
}
