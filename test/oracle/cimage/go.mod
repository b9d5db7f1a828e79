// The containers/image oracle of the differential test (see README.md).
//
// containers/image is pinned to what CRI-O of the newest supported OpenShift vendors: CRI-O 1.34
// (OpenShift 4.21) requires github.com/containers/image/v5 v5.36.2 in its go.mod at every tag
// v1.34.0 ... v1.34.11 and on release-1.34, with no replace directive; the module path is still
// github.com/containers/image/v5 there (CRI-O 1.35 moved to go.podman.io/image/v5 v5.38.0).
// github.com/BurntSushi/toml (the registries.conf parser) resolves to v1.5.0, the same as CRI-O 1.34.
module github.com/icsp-bot/icsp-bot/test/oracle/cimage

go 1.24.6

require github.com/containers/image/v5 v5.36.2

require (
	github.com/BurntSushi/toml v1.5.0 // indirect
	github.com/chzyer/readline v1.5.1 // indirect
	github.com/containers/libtrust v0.0.0-20230121012942-c1716e8a8d01 // indirect
	github.com/containers/ocicrypt v1.2.1 // indirect
	github.com/containers/storage v1.59.1 // indirect
	github.com/distribution/reference v0.6.0 // indirect
	github.com/docker/distribution v2.8.3+incompatible // indirect
	github.com/docker/docker v28.3.2+incompatible // indirect
	github.com/docker/docker-credential-helpers v0.9.3 // indirect
	github.com/docker/go-connections v0.5.0 // indirect
	github.com/docker/go-units v0.5.0 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
	github.com/manifoldco/promptui v0.9.0 // indirect
	github.com/moby/sys/capability v0.4.0 // indirect
	github.com/moby/sys/mountinfo v0.7.2 // indirect
	github.com/moby/sys/user v0.4.0 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	github.com/opencontainers/runtime-spec v1.2.1 // indirect
	github.com/sirupsen/logrus v1.9.3 // indirect
	golang.org/x/sys v0.34.0 // indirect
	golang.org/x/term v0.33.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
