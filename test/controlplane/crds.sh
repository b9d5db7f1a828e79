#!/usr/bin/env bash
# Prints the paths of the OpenShift CRDs the bot reads, taken unmodified from the
# github.com/openshift/api Go module (version pinned in openshift-api.version; checked against
# the Go checksum database by `go mod download`). The files stay in the read-only module cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(tr -d '[:space:]' < "$here/openshift-api.version")"
# Outside any module, so that the download never touches this module's go.mod.
dir="$(cd / && GOFLAGS= go mod download -json "github.com/openshift/api@${version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "$dir" ]] || { echo "crds.sh: go mod download github.com/openshift/api@${version} failed" >&2; exit 1; }
for f in \
  operator/v1alpha1/zz_generated.crd-manifests/0000_10_config-operator_01_imagecontentsourcepolicies.crd.yaml \
  config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_imagedigestmirrorsets.crd.yaml \
  config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_imagetagmirrorsets.crd.yaml \
  config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_images.crd.yaml \
  config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml \
  machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigpools-Default.crd.yaml \
  machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigs.crd.yaml
do
  [[ -f "$dir/$f" ]] || { echo "crds.sh: missing $f in github.com/openshift/api@${version}" >&2; exit 1; }
  echo "$dir/$f"
done
