package capi

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadCAPICRDs: only v1beta1 is kept (served and stored, no
// conversion webhook, which does not run here), CRDs without it are
// skipped, and a missing one the controllers need is an error naming it
// and the script that fetches them.
func TestLoadCAPICRDs(t *testing.T) {
	crd := func(name string, versions ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: %s\n  annotations:\n    controller-gen.kubebuilder.io/version: v0.15.0\nspec:\n  conversion:\n    strategy: Webhook\n  versions:\n", name)
		for _, v := range versions {
			fmt.Fprintf(&b, "  - name: %s\n    served: true\n    storage: false\n", v)
		}
		return b.String()
	}
	names := []string{"clusters.cluster.x-k8s.io", "clusterclasses.cluster.x-k8s.io", "machinedeployments.cluster.x-k8s.io",
		"machinesets.cluster.x-k8s.io", "machines.cluster.x-k8s.io", "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io",
		"kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io", "kubeadmconfigs.bootstrap.cluster.x-k8s.io",
		"kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io", "clusterresourcesets.addons.cluster.x-k8s.io"}
	write := func(dir string, names []string) {
		var docs []string
		for _, n := range names {
			docs = append(docs, crd(n, "v1alpha4", "v1beta1"))
		}
		docs = append(docs, crd("ipaddresses.ipam.cluster.x-k8s.io", "v1alpha1"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
		if err := os.WriteFile(filepath.Join(dir, "crds.yaml"), []byte(strings.Join(docs, "---\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write(dir, names)
	got, err := loadCAPICRDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(names) {
		t.Errorf("%d CRDs, want %d (the IPAM one and the Namespace skipped)", len(got), len(names))
	}
	for _, c := range got {
		vs := c.list("spec", "versions")
		v, _ := asMap(vs[0])
		if len(vs) != 1 || v["name"] != "v1beta1" || v["served"] != true || v["storage"] != true {
			t.Errorf("%s versions = %v", c.name(), vs)
		}
		if c.get("spec", "conversion") != nil || c.get("metadata", "annotations") != nil {
			t.Errorf("%s keeps its conversion webhook or annotations", c.name())
		}
	}

	dir = t.TempDir()
	write(dir, names[1:])
	if _, err := loadCAPICRDs(dir); err == nil || !strings.Contains(err.Error(), "clusters.cluster.x-k8s.io") || !strings.Contains(err.Error(), "scripts/capi-crds.sh") {
		t.Errorf("missing Cluster CRD: err = %v", err)
	}
}

// TestCAPOCRDs: the provider's kinds at v1alpha7 with the contract label
// Cluster API reads, and a status subresource on the kinds whose status
// the controllers write (not on templates).
func TestCAPOCRDs(t *testing.T) {
	for _, c := range capoCRDs() {
		v, _ := asMap(c.list("spec", "versions")[0])
		_, status := asMap(obj(v).get("subresources", "status"))
		template := strings.HasSuffix(c.str("spec", "names", "kind"), "Template")
		if v["name"] != "v1alpha7" || status == template || c.label("cluster.x-k8s.io/v1beta1") != "v1alpha7" {
			t.Errorf("%s: version %v, status subresource %v, labels %v", c.name(), v["name"], status, c.m("metadata", "labels"))
		}
	}
}

// TestDefaultClusterClass: the ClusterClass webhook defaults required to
// false on variables that lack it (CAPI v1.8's defaulting, which the
// driver's class relies on), and leaves the others.
func TestDefaultClusterClass(t *testing.T) {
	cc := obj{"spec": map[string]any{"variables": []any{
		map[string]any{"name": "a"}, map[string]any{"name": "b", "required": true},
	}}}
	ops := defaultClusterClass(cc)
	if len(ops) != 1 || ops[0]["path"] != "/spec/variables/0/required" || ops[0]["value"] != false || ops[0]["op"] != "add" {
		t.Errorf("patch = %v", ops)
	}
}
