package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"golang.org/x/sys/unix"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// readyInfo is what the test harness reads from DIR/ready.json.
type readyInfo struct {
	PID             int    `json:"pid"`
	APIServerURL    string `json:"apiServerURL"`
	EtcdURL         string `json:"etcdURL"`
	Kubeconfig      string `json:"kubeconfig"`
	CAFile          string `json:"caFile"`
	AdminCertFile   string `json:"adminCertFile"`
	AdminKeyFile    string `json:"adminKeyFile"`
	KubeletCertFile string `json:"kubeletCertFile"`
	KubeletKeyFile  string `json:"kubeletKeyFile"`
	Version         string `json:"version"`
}

func run(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dir := fs.String("dir", "", "state directory (certificates, etcd data, kubeconfig, ready.json); required")
	minRequestTimeout := fs.Int("min-request-timeout", 1800, "kube-apiserver --min-request-timeout (seconds); watches end after 1-2x this")
	compaction := fs.Duration("etcd-compaction-interval", 5*time.Minute, "kube-apiserver --etcd-compaction-interval")
	verbosity := fs.Int("v", 0, "kube-apiserver log verbosity")
	removeDir := fs.Bool("remove-dir-on-exit", false, "delete --dir when the process exits")
	var extra multiFlag
	fs.Var(&extra, "apiserver-arg", "extra kube-apiserver flag, e.g. --apiserver-arg=--feature-gates=X=true (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "controlplane run: --dir is required")
		return 2
	}
	// Created first: it installs kube-apiserver's signal handler, which takeOverShutdown replaces.
	apiserver := app.NewAPIServerCommand()
	var etcdServer *embed.Etcd
	var cleanupOnce sync.Once
	cleanup := func() {
		cleanupOnce.Do(func() {
			if etcdServer != nil {
				etcdServer.Close()
			}
			if *removeDir {
				_ = os.RemoveAll(*dir)
			}
		})
	}
	defer cleanup()
	stop := takeOverShutdown(cleanup)

	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return fail(err)
	}
	paths, err := writeCertificates(*dir)
	if err != nil {
		return fail(err)
	}
	psaConfig := filepath.Join(*dir, "admission-config.yaml")
	if err := os.WriteFile(psaConfig, []byte(admissionConfig), 0o600); err != nil {
		return fail(err)
	}

	ports, err := freePorts(3)
	if err != nil {
		return fail(err)
	}
	etcdServer, etcdURL, err := startEtcd(filepath.Join(*dir, "etcd"), ports[0], ports[1])
	if err != nil {
		return fail(fmt.Errorf("etcd: %w", err))
	}

	apiURL := "https://127.0.0.1:" + strconv.Itoa(ports[2])
	apiArgs := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--cert-dir=" + filepath.Join(*dir, "apiserver-certs"),
		"--tls-cert-file=" + paths.servingCert,
		"--tls-private-key-file=" + paths.servingKey,
		"--client-ca-file=" + paths.caCert,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=" + apiURL,
		"--service-account-key-file=" + paths.saKey,
		"--service-account-signing-key-file=" + paths.saKey,
		"--api-audiences=" + apiURL,
		"--admission-control-config-file=" + psaConfig,
		"--kubelet-preferred-address-types=InternalIP",
		"--min-request-timeout=" + strconv.Itoa(*minRequestTimeout),
		"--etcd-compaction-interval=" + compaction.String(),
		// The "kubernetes" Service endpoints would be 127.0.0.1, which Endpoints validation
		// rejects; nothing in the tests needs them.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=" + strconv.Itoa(*verbosity),
	}
	apiArgs = append(apiArgs, extra...)

	done := make(chan int, 1)
	apiserver.SetArgs(apiArgs)
	go func() { done <- cli.Run(apiserver) }()

	info := readyInfo{
		PID: os.Getpid(), APIServerURL: apiURL, EtcdURL: etcdURL,
		Kubeconfig: filepath.Join(*dir, "admin.kubeconfig"), CAFile: paths.caCert,
		AdminCertFile: paths.adminCert, AdminKeyFile: paths.adminKey,
		KubeletCertFile: paths.kubeletCert, KubeletKeyFile: paths.kubeletKey,
	}
	ready := make(chan error, 1)
	go func() { ready <- waitReady(&info, 3*time.Minute) }()

	select {
	case code := <-done:
		fmt.Fprintf(os.Stderr, "controlplane: kube-apiserver exited before it was ready (code %d)\n", code)
		return 1
	case err := <-etcdServer.Err():
		return fail(fmt.Errorf("etcd: %w", err))
	case err := <-ready:
		if err != nil {
			stop("not ready")
			<-done
			return fail(err)
		}
	}
	if err := writeKubeconfig(info.Kubeconfig, apiURL, paths); err != nil {
		return fail(err)
	}
	if err := writeJSONAtomic(filepath.Join(*dir, "ready.json"), info); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "controlplane: ready at %s (etcd %s)\n", apiURL, etcdURL)

	select {
	case code := <-done:
		return code
	case err := <-etcdServer.Err():
		return fail(fmt.Errorf("etcd: %w", err))
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "controlplane:", err)
	return 1
}

// takeOverShutdown makes this process stop exactly once, cleanly, whatever asks first: SIGTERM or
// SIGINT, the parent's death (PR_SET_PDEATHSIG), or EOF on stdin (the parent closed the pipe or
// died). kube-apiserver's own handler exits at once on a second signal, skipping the cleanup (etcd
// close, --remove-dir-on-exit) — and a dying test runner sends several — so its signals are
// ignored and one shutdown request is passed on instead. A hard deadline bounds the shutdown.
func takeOverShutdown(cleanup func()) (stop func(reason string)) {
	var once sync.Once
	stop = func(reason string) {
		once.Do(func() {
			fmt.Fprintf(os.Stderr, "controlplane: %s, stopping\n", reason)
			genericapiserver.RequestShutdown()
			go func() {
				time.Sleep(20 * time.Second)
				fmt.Fprintln(os.Stderr, "controlplane: shutdown took too long, exiting")
				cleanup()
				os.Exit(1)
			}()
		})
	}
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT) // drops kube-apiserver's registration
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for s := range sigs {
			stop(s.String())
		}
	}()

	ppid := os.Getppid()
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
	if os.Getppid() != ppid { // the parent died before prctl took effect
		stop("parent gone")
	}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop("stdin closed")
		}()
	}
	return stop
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func startEtcd(dataDir string, clientPort, peerPort int) (*embed.Etcd, string, error) {
	cfg := embed.NewConfig()
	cfg.Name = "controlplane"
	cfg.Dir = dataDir
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = true // throwaway data: speed over durability
	clientURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(clientPort)}
	peerURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peerPort)}
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.ListenMetricsUrls = nil
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, "", errors.New("not ready after 60s")
	}
	return e, clientURL.String(), nil
}

// waitReady polls /readyz as the admin user and records the server's version.
func waitReady(info *readyInfo, timeout time.Duration) error {
	cert, err := tls.LoadX509KeyPair(info.AdminCertFile, info.AdminKeyFile)
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(info.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		resp, err := client.Get(info.APIServerURL + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return readVersion(client, info)
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %s: %s", timeout, last)
}

func readVersion(client *http.Client, info *readyInfo) error {
	resp, err := client.Get(info.APIServerURL + "/version")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return err
	}
	info.Version = v.GitVersion
	return nil
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// writeFileAtomic lets the harness poll for the file without seeing it half-written.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeKubeconfig(path, server string, p certPaths) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: controlplane
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: admin
  context:
    cluster: controlplane
    user: admin
current-context: admin
`, server, p.caCert, p.adminCert, p.adminKey)
	return writeFileAtomic(path, []byte(kc))
}

// admissionConfig makes PodSecurity enforce "restricted" wherever a namespace has no label, so a
// debug namespace without the privileged labels is caught, as it would be on OpenShift.
const admissionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: restricted
      enforce-version: latest
      audit: restricted
      audit-version: latest
      warn: restricted
      warn-version: latest
    exemptions:
      usernames: []
      runtimeClasses: []
      namespaces: []
`
