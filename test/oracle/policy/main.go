// The policy.json oracle of the differential test (test/oracle/policy-json.test.ts): reads cases as JSON lines
// on stdin, answers each with containers/image's own code, one JSON line per case on stdout.
//
// Per case:
//   - policy:  signature.NewPolicyFromBytes(text): the file as CRI-O/podman load it (validation included), then
//     json.MarshalIndent(policy, "", "  ") of the decoded signature.Policy, which is what the MCO's
//     updatePolicyJSON writes after its edits (helpers.go l.664): the engine's bytes must come back unchanged;
//   - per reference: docker.ParseReference("//"+ref), its PolicyConfigurationIdentity/Namespaces, and
//     PolicyContext.IsRunningImageAllowed on an image whose Reference() is that (logical) reference, as
//     copy.Image does before it fails with "Source image rejected: ..." (copy/single.go).
//
// Build tag containers_image_openpgp: the pure-Go OpenPGP backend (no cgo gpgme); the MCO's policies hold no
// signature requirements, so the backend is never used.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/containers/image/v5/docker"
	"github.com/containers/image/v5/signature"
	"github.com/containers/image/v5/types"
)

type input struct {
	ID         int      `json:"id"`
	Policy     string   `json:"policy"`
	References []string `json:"references"`
}

type refAnswer struct {
	Error      string   `json:"error,omitempty"`
	Identity   string   `json:"identity,omitempty"`
	Namespaces []string `json:"namespaces,omitempty"`
	Allowed    bool     `json:"allowed"`
	Message    string   `json:"message,omitempty"`
}

type output struct {
	ID          int         `json:"id"`
	PolicyError string      `json:"policyError,omitempty"`
	Remarshaled string      `json:"remarshaled,omitempty"`
	References  []refAnswer `json:"references"`
}

// image is the least an UnparsedImage needs for the requirements the MCO writes (reject,
// insecureAcceptAnything): neither reads the manifest or the signatures.
type image struct{ ref types.ImageReference }

func (i image) Reference() types.ImageReference { return i.ref }
func (i image) Manifest(context.Context) ([]byte, string, error) {
	return nil, "", errors.New("no manifest in the policy oracle")
}
func (i image) Signatures(context.Context) ([][]byte, error) { return nil, nil }

func answer(in input) output {
	out := output{ID: in.ID, References: []refAnswer{}}
	policy, err := signature.NewPolicyFromBytes([]byte(in.Policy))
	if err != nil {
		out.PolicyError = err.Error()
		return out
	}
	again, err := json.MarshalIndent(policy, "", "  ")
	if err != nil {
		out.PolicyError = err.Error()
		return out
	}
	out.Remarshaled = string(again)
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		out.PolicyError = err.Error()
		return out
	}
	defer func() { _ = pc.Destroy() }()
	for _, r := range in.References {
		ref, err := docker.ParseReference("//" + r)
		if err != nil {
			out.References = append(out.References, refAnswer{Error: err.Error()})
			continue
		}
		a := refAnswer{Identity: ref.PolicyConfigurationIdentity(), Namespaces: ref.PolicyConfigurationNamespaces()}
		allowed, err := pc.IsRunningImageAllowed(context.Background(), image{ref: ref})
		a.Allowed = allowed && err == nil
		if err != nil {
			a.Message = err.Error()
		}
		out.References = append(out.References, a)
	}
	return out
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		var in input
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			fmt.Fprintf(os.Stderr, "bad input line: %v\n", err)
			os.Exit(2)
		}
		b, _ := json.Marshal(answer(in))
		_, _ = w.Write(append(b, '\n'))
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "reading stdin: %v\n", err)
		os.Exit(2)
	}
}
