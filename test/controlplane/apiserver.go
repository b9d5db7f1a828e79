package main

import (
	"os"

	// Same blank imports as upstream cmd/kube-apiserver/apiserver.go at v1.36.
	_ "time/tzdata"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// runAPIServer runs kube-apiserver in this process. Call it once: the command installs the
// process-wide signal handler (SIGTERM cancels its context; a second signal exits).
func runAPIServer(args []string) int {
	cmd := app.NewAPIServerCommand()
	cmd.SetArgs(args)
	return cli.Run(cmd)
}

// runEtcdMain behaves like the etcd binary (envtest's KUBEBUILDER_ASSETS layout).
func runEtcdMain(args []string) {
	etcdmain.Main(append([]string{os.Args[0]}, args...))
}
