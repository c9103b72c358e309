package capi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// CRDVersion is the Cluster API release whose CRDs the management API
// serves; scripts/capi-crds.sh copies them out of its Go module. It is the
// release line magnum-cluster-api 0.16 was built against: v1.14's v1beta1
// schema refuses what the driver sends (an empty
// machineDeployments[].failureDomain is below its minLength of 1), which
// v1.8's accepts.
const CRDVersion = "v1.8.4"

// servedVersion is the API version magnum-cluster-api 0.16 reads and
// writes, and Cluster API v1.8's storage version. The CRDs keep it alone,
// since the conversion webhook for older versions does not run here.
const servedVersion = "v1beta1"

// loadCAPICRDs reads the Cluster API CRDs (core, kubeadm bootstrap and
// control plane) from dir, keeping only their v1beta1 version.
func loadCAPICRDs(dir string) ([]obj, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []obj
	for _, f := range files {
		docs, err := readYAMLDocs(f)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if d.str("kind") != "CustomResourceDefinition" {
				continue
			}
			if err := keepVersion(d, servedVersion); err != nil {
				// CRDs without a v1beta1 (IPAM's v1alpha1, say) are
				// not what the driver uses.
				continue
			}
			out = append(out, d)
		}
	}
	for _, want := range []string{"clusters.cluster.x-k8s.io", "clusterclasses.cluster.x-k8s.io", "machinedeployments.cluster.x-k8s.io",
		"machinesets.cluster.x-k8s.io", "machines.cluster.x-k8s.io", "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io",
		"kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io", "kubeadmconfigs.bootstrap.cluster.x-k8s.io",
		"kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io", "clusterresourcesets.addons.cluster.x-k8s.io"} {
		if !slices.ContainsFunc(out, func(o obj) bool { return o.name() == want }) {
			return nil, fmt.Errorf("capi: no CRD %s in %s (run scripts/capi-crds.sh)", want, dir)
		}
	}
	return out, nil
}

func readYAMLDocs(path string) ([]obj, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseYAMLDocs(data, path)
}

func parseYAMLDocs(data []byte, name string) ([]obj, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []obj
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("capi: %s: %w", name, err)
		}
		if d != nil {
			out = append(out, clone(obj(d)))
		}
	}
}

// keepVersion drops every version of a CRD but v, which becomes the stored
// one, and any conversion webhook.
func keepVersion(crd obj, v string) error {
	var keep []any
	for _, ver := range crd.list("spec", "versions") {
		m, ok := asMap(ver)
		if ok && m["name"] == v {
			m["served"], m["storage"] = true, true
			keep = append(keep, m)
		}
	}
	if len(keep) == 0 {
		return fmt.Errorf("no version %s", v)
	}
	crd.set(keep, "spec", "versions")
	crd.del("spec", "conversion")
	delete(crd.m("metadata"), "annotations")
	return nil
}

// capoKinds are the OpenStack provider's kinds at v1alpha7, the version
// magnum-cluster-api 0.16 uses. Their module is not available here, so
// their CRDs take any fields: the schema is what the driver and the
// stand-in controllers write.
var capoKinds = []struct{ kind, plural string }{
	{"OpenStackCluster", "openstackclusters"},
	{"OpenStackClusterTemplate", "openstackclustertemplates"},
	{"OpenStackMachine", "openstackmachines"},
	{"OpenStackMachineTemplate", "openstackmachinetemplates"},
}

func capoCRDs() []obj {
	var out []obj
	for _, k := range capoKinds {
		ver := map[string]any{
			"name": "v1alpha7", "served": true, "storage": true,
			"schema": map[string]any{"openAPIV3Schema": map[string]any{
				"type": "object", "x-kubernetes-preserve-unknown-fields": true,
			}},
		}
		if !strings.HasSuffix(k.kind, "Template") {
			ver["subresources"] = map[string]any{"status": map[string]any{}}
		}
		out = append(out, obj{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{
				"name": k.plural + ".infrastructure.cluster.x-k8s.io",
				// The contract label Cluster API reads to pick the
				// provider's version.
				"labels": map[string]any{"cluster.x-k8s.io/provider": "infrastructure-openstack", "cluster.x-k8s.io/v1beta1": "v1alpha7"},
			},
			"spec": map[string]any{
				"group": "infrastructure.cluster.x-k8s.io", "scope": "Namespaced",
				"names": map[string]any{
					"kind": k.kind, "listKind": k.kind + "List", "plural": k.plural,
					"singular": strings.ToLower(k.kind), "categories": []any{"cluster-api"},
				},
				"versions": []any{ver},
			},
		})
	}
	return out
}

// installCRDs creates the CRDs and waits until the API serves each.
func installCRDs(ctx context.Context, k *kube, crds []obj) error {
	for _, c := range crds {
		if _, err := k.create(ctx, rCRD, c); err != nil && !isStatus(err, 409) {
			return fmt.Errorf("capi: creating CRD %s: %w", c.name(), err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for _, c := range crds {
		for {
			got, err := k.get(ctx, rCRD, "", c.name())
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("capi: CRD %s not established after a minute (%v)", c.name(), err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func established(crd obj) bool {
	for _, c := range crd.list("status", "conditions") {
		if m, ok := asMap(c); ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
