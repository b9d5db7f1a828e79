// Command controlplane runs a real Kubernetes control plane for icsp-bot's cluster tests: an
// embedded etcd and kube-apiserver in one process, bound to 127.0.0.1 only.
//
//	controlplane run --dir DIR [--min-request-timeout 1800] [--etcd-compaction-interval 5m]
//	controlplane etcd [etcd flags]            (behaves like the etcd binary)
//	controlplane kube-apiserver [flags]       (behaves like the kube-apiserver binary)
//
// "run" writes certificates, a PodSecurity admission config, an admin kubeconfig and, once
// /readyz answers, DIR/ready.json. It stops on SIGTERM/SIGINT, when stdin reaches EOF and
// when its parent dies, so a crashed test runner leaves no process or port behind.
// The two other subcommands let the same binary stand in for envtest's KUBEBUILDER_ASSETS.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: controlplane run|etcd|kube-apiserver [flags]")
		os.Exit(2)
	}
	sub, rest := os.Args[1], os.Args[2:]
	switch sub {
	case "run":
		os.Exit(run(rest))
	case "etcd":
		runEtcdMain(rest)
	case "kube-apiserver":
		os.Exit(runAPIServer(rest))
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown subcommand %q\n", filepath.Base(os.Args[0]), sub)
		os.Exit(2)
	}
}
