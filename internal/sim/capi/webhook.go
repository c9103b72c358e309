package capi

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// Cluster API's defaulting webhooks, as far as the driver's objects need
// them. The real webhooks decode an object into Cluster API's Go types and
// write it back, which fills in every field whose Go type has no
// omitempty: a ClusterClass variable sent without "required" (the driver
// sends sshKeyName that way) comes back with required: false, and only then
// does the API server check the CRD's schema, which requires the field.
// Without them the API server refuses the driver's ClusterClass.

const (
	webhookConfigName = "capi-mutating-webhook-configuration"
	clusterClassPath  = "/mutate-cluster-x-k8s-io-v1beta1-clusterclass"
)

type webhook struct {
	srv *http.Server
	url string
}

func startWebhook(ca *pki.CA) (*webhook, error) {
	cert, err := ca.IssueServerCert([]string{"127.0.0.1", "localhost"}, time.Now())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+clusterClassPath, admit(defaultClusterClass))
	w := &webhook{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}},
		url: "https://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port),
	}
	go func() { _ = w.srv.ServeTLS(ln, "", "") }()
	return w, nil
}

func (w *webhook) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = w.srv.Shutdown(ctx)
}

// register makes the API server call the webhook, failing requests it
// cannot reach, as Cluster API's configuration does.
func (w *webhook) register(ctx context.Context, k *kube, ca *pki.CA) error {
	cfg := obj{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
		"metadata": map[string]any{"name": webhookConfigName},
		"webhooks": []any{map[string]any{
			"name":                    "default.clusterclass.cluster.x-k8s.io",
			"admissionReviewVersions": []any{"v1"}, "sideEffects": "None", "failurePolicy": "Fail", "matchPolicy": "Equivalent",
			"clientConfig": map[string]any{
				"url":      w.url + clusterClassPath,
				"caBundle": base64.StdEncoding.EncodeToString([]byte(ca.CertPEM())),
			},
			"rules": []any{map[string]any{
				"apiGroups": []any{"cluster.x-k8s.io"}, "apiVersions": []any{servedVersion},
				"operations": []any{"CREATE", "UPDATE"}, "resources": []any{"clusterclasses"},
			}},
		}},
	}
	r := resource{"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", true}
	if _, err := k.create(ctx, r, cfg); err != nil && !isStatus(err, http.StatusConflict) {
		return fmt.Errorf("capi: registering the defaulting webhook: %w", err)
	}
	return nil
}

// admit serves an AdmissionReview with the JSON patch that default makes.
func admit(def func(obj) []map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var review struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Request    *struct {
				UID    string `json:"uid"`
				Object obj    `json:"object"`
			} `json:"request"`
		}
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "bad AdmissionReview", http.StatusBadRequest)
			return
		}
		resp := map[string]any{"uid": review.Request.UID, "allowed": true}
		if ops := def(review.Request.Object); len(ops) > 0 {
			b, _ := json.Marshal(ops)
			resp["patchType"] = "JSONPatch"
			resp["patch"] = base64.StdEncoding.EncodeToString(b)
		}
		writeJSON(w, http.StatusOK, map[string]any{"apiVersion": review.APIVersion, "kind": review.Kind, "response": resp})
	}
}

// defaultClusterClass fills in required: false on variables that lack it.
func defaultClusterClass(cc obj) []map[string]any {
	var ops []map[string]any
	for i, v := range cc.list("spec", "variables") {
		vm, ok := asMap(v)
		if !ok {
			continue
		}
		if _, has := vm["required"]; !has {
			ops = append(ops, map[string]any{"op": "add", "path": fmt.Sprintf("/spec/variables/%d/required", i), "value": false})
		}
	}
	return ops
}
