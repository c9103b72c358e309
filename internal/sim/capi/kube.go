package capi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// resource is one kind the controllers read or write, as its REST path
// names it.
type resource struct {
	group, version, plural, kind string
	clusterScoped                bool
}

func (r resource) apiVersion() string {
	if r.group == "" {
		return r.version
	}
	return r.group + "/" + r.version
}

func (r resource) path(ns, name string) string {
	p := "/api/" + r.version
	if r.group != "" {
		p = "/apis/" + r.group + "/" + r.version
	}
	if !r.clusterScoped && ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + r.plural
	if name != "" {
		p += "/" + name
	}
	return p
}

// The kinds of Cluster API v1beta1 (the version magnum-cluster-api 0.16
// writes), its kubeadm providers, and the OpenStack provider's v1alpha7.
var (
	rCluster      = resource{"cluster.x-k8s.io", "v1beta1", "clusters", "Cluster", false}
	rClusterClass = resource{"cluster.x-k8s.io", "v1beta1", "clusterclasses", "ClusterClass", false}
	rMD           = resource{"cluster.x-k8s.io", "v1beta1", "machinedeployments", "MachineDeployment", false}
	rMS           = resource{"cluster.x-k8s.io", "v1beta1", "machinesets", "MachineSet", false}
	rMachine      = resource{"cluster.x-k8s.io", "v1beta1", "machines", "Machine", false}
	rMHC          = resource{"cluster.x-k8s.io", "v1beta1", "machinehealthchecks", "MachineHealthCheck", false}
	rKCP          = resource{"controlplane.cluster.x-k8s.io", "v1beta1", "kubeadmcontrolplanes", "KubeadmControlPlane", false}
	rKCPT         = resource{"controlplane.cluster.x-k8s.io", "v1beta1", "kubeadmcontrolplanetemplates", "KubeadmControlPlaneTemplate", false}
	rKC           = resource{"bootstrap.cluster.x-k8s.io", "v1beta1", "kubeadmconfigs", "KubeadmConfig", false}
	rKCT          = resource{"bootstrap.cluster.x-k8s.io", "v1beta1", "kubeadmconfigtemplates", "KubeadmConfigTemplate", false}
	rOSC          = resource{"infrastructure.cluster.x-k8s.io", "v1alpha7", "openstackclusters", "OpenStackCluster", false}
	rOSCT         = resource{"infrastructure.cluster.x-k8s.io", "v1alpha7", "openstackclustertemplates", "OpenStackClusterTemplate", false}
	rOSM          = resource{"infrastructure.cluster.x-k8s.io", "v1alpha7", "openstackmachines", "OpenStackMachine", false}
	rOSMT         = resource{"infrastructure.cluster.x-k8s.io", "v1alpha7", "openstackmachinetemplates", "OpenStackMachineTemplate", false}
	rCRS          = resource{"addons.cluster.x-k8s.io", "v1beta1", "clusterresourcesets", "ClusterResourceSet", false}
	rCRSB         = resource{"addons.cluster.x-k8s.io", "v1beta1", "clusterresourcesetbindings", "ClusterResourceSetBinding", false}
	rSecret       = resource{"", "v1", "secrets", "Secret", false}
	rConfigMap    = resource{"", "v1", "configmaps", "ConfigMap", false}
	rEvent        = resource{"", "v1", "events", "Event", false}
	rCRD          = resource{"apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", true}
)

// kind maps apiVersion and kind, as references carry them, to a resource.
func kindResource(apiVersion, kind string) (resource, bool) {
	for _, r := range []resource{rCluster, rClusterClass, rMD, rMS, rMachine, rMHC, rKCP, rKCPT, rKC, rKCT, rOSC, rOSCT, rOSM, rOSMT, rCRS, rCRSB, rSecret, rConfigMap} {
		if r.kind == kind && r.apiVersion() == apiVersion {
			return r, true
		}
	}
	return resource{}, false
}

// apiError is a Kubernetes Status the API server answered with.
type apiError struct {
	Code    int
	Reason  string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message) }

func isStatus(err error, code int) bool {
	e, ok := err.(*apiError)
	return ok && e.Code == code
}

func isNotFound(err error) bool { return isStatus(err, http.StatusNotFound) }

// kube is a small client of one API server, for unstructured objects.
type kube struct {
	base string
	hc   *http.Client
}

func (k *kube) do(ctx context.Context, method, path, contentType string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var st struct {
			Reason, Message string
		}
		_ = json.Unmarshal(data, &st)
		if st.Message == "" {
			st.Message = strings.TrimSpace(string(data))
		}
		return &apiError{Code: resp.StatusCode, Reason: st.Reason, Message: st.Message}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (k *kube) get(ctx context.Context, r resource, ns, name string) (obj, error) {
	var o obj
	err := k.do(ctx, http.MethodGet, r.path(ns, name), "", nil, &o)
	return o, err
}

// list returns the objects of r in ns (every namespace when empty) that
// match the label selector, in the order the API server keeps them.
func (k *kube) list(ctx context.Context, r resource, ns, selector string) ([]obj, error) {
	p := r.path(ns, "")
	if selector != "" {
		p += "?labelSelector=" + url.QueryEscape(selector)
	}
	var l struct {
		Items []obj `json:"items"`
	}
	if err := k.do(ctx, http.MethodGet, p, "", nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (k *kube) create(ctx context.Context, r resource, o obj) (obj, error) {
	o["apiVersion"], o["kind"] = r.apiVersion(), r.kind
	var out obj
	err := k.do(ctx, http.MethodPost, r.path(o.namespace(), ""), "application/json", o, &out)
	return out, err
}

// update replaces an object; the resourceVersion it carries makes a
// concurrent change a 409.
func (k *kube) update(ctx context.Context, r resource, o obj) (obj, error) {
	var out obj
	err := k.do(ctx, http.MethodPut, r.path(o.namespace(), o.name()), "application/json", o, &out)
	return out, err
}

// updateStatus writes the status subresource.
func (k *kube) updateStatus(ctx context.Context, r resource, o obj) (obj, error) {
	var out obj
	err := k.do(ctx, http.MethodPut, r.path(o.namespace(), o.name())+"/status", "application/json", o, &out)
	return out, err
}

func (k *kube) mergePatch(ctx context.Context, r resource, ns, name string, patch any) (obj, error) {
	var out obj
	err := k.do(ctx, http.MethodPatch, r.path(ns, name), "application/merge-patch+json", patch, &out)
	return out, err
}

// remove deletes an object; a missing one is no error.
func (k *kube) remove(ctx context.Context, r resource, ns, name string) error {
	err := k.do(ctx, http.MethodDelete, r.path(ns, name), "application/json",
		map[string]any{"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}, nil)
	if isNotFound(err) {
		return nil
	}
	return err
}
