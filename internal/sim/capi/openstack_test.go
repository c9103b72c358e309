package capi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// fakeCloud is Keystone (application credential login, a catalog with
// Neutron) and Neutron's network list, as CAPO's OpenStackCluster
// controller calls them.
func fakeCloud(t *testing.T, networks []map[string]any) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Auth struct {
				Identity struct {
					ApplicationCredential struct{ ID, Secret string } `json:"application_credential"`
				} `json:"identity"`
			} `json:"auth"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if ac := body.Auth.Identity.ApplicationCredential; ac.ID != "ac-1" || ac.Secret != "s3cret" {
			http.Error(w, `{"error": {"code": 401}}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Subject-Token", "tok")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
			"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"project":    map[string]any{"id": "proj-1"},
			"catalog": []any{map[string]any{"type": "network", "endpoints": []any{
				map[string]any{"interface": "public", "region": "RegionOne", "url": srv.URL + "/network"},
			}}},
		}})
	})
	mux.HandleFunc("GET /network/v2.0/networks", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"networks": networks})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// clusterCA is a cluster CA as Magnum makes it and the driver stores it in
// <cluster>-ca (tls.crt, tls.key), from which the workload API serves.
func clusterCA(t *testing.T) (crt, key string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: testCluster},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func seedOpenStackCluster(t *testing.T, m *Management, f *fakeAPI, cloudURL string) {
	t.Helper()
	m.opts.Kube = kubeapi.Fake{}
	t.Cleanup(func() { m.stopWorkload(testNS, testCluster) })
	crt, key := clusterCA(t)
	f.put(rSecret, obj{"metadata": meta(testCluster+"-ca", nil), "data": map[string]any{"tls.crt": b64(crt), "tls.key": b64(key)}})
	clouds := fmt.Sprintf("clouds:\n  default:\n    region_name: RegionOne\n    auth:\n      auth_url: %s/v3\n      application_credential_id: ac-1\n      application_credential_secret: s3cret\n", cloudURL)
	f.put(rSecret, obj{"metadata": meta(testCluster+"-cloud-config", nil), "data": map[string]any{"clouds.yaml": b64(clouds)}})
	f.put(rCluster, obj{"metadata": meta(testCluster, nil, clusterFinalizer), "spec": map[string]any{
		"infrastructureRef": map[string]any{"apiVersion": rOSC.apiVersion(), "kind": rOSC.kind, "name": "osc"},
	}})
	f.put(rOSC, obj{"metadata": meta("osc", nil, oscFinalizer), "spec": map[string]any{
		"identityRef":           map[string]any{"kind": "Secret", "name": testCluster + "-cloud-config"},
		"externalNetworkId":     "ext-1",
		"managedSecurityGroups": true,
		"apiServerLoadBalancer": map[string]any{"enabled": true},
	}})
}

func runInfra(ctx context.Context, m *Management) func(*state) error {
	return func(st *state) error {
		var errs []error
		for _, c := range st.all(rOSC) {
			errs = append(errs, m.reconcileOpenStackCluster(ctx, st, c))
		}
		for _, c := range st.all(rCluster) {
			errs = append(errs, m.reconcileCluster(ctx, st, c))
		}
		return joinReal(errs...)
	}
}

// lastEvent is what magnum-cluster-api 0.16 shows of an object in
// status_reason: the reason and message of its last Event in the API
// server's order (by name).
func lastEvent(f *fakeAPI, kind string) string {
	last := ""
	for _, e := range f.list(rEvent, testNS, "") {
		if e.str("involvedObject", "kind") == kind {
			last = e.str("reason") + ": " + e.str("message")
		}
	}
	return last
}

// TestOpenStackClusterReady: CAPO v0.9 makes the network, router,
// security groups and API load balancer, sets the controlPlaneEndpoint to
// the load balancer's floating IP, and reports ready; the Cluster then
// takes the endpoint and reaches Provisioned with InfrastructureReady.
// The last OpenStackCluster Event is what the driver showed in capi3's
// create (`CAPI OpenstackCluster status reason:
// SuccessfulAssociateFloatingIP: Associated floating IP ... with port ...`).
func TestOpenStackClusterReady(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedOpenStackCluster(t, m, f, fakeCloud(t, []map[string]any{{"id": "ext-1", "name": "public", "router:external": true}}).URL)
	passes(t, m, 4, runInfra(ctx, m), nil)
	osc := f.get(rOSC, testNS, "osc")
	if !osc.boolean("status", "ready") || osc.str("status", "failureReason") != "" {
		t.Fatalf("OpenStackCluster status = %v", osc["status"])
	}
	w := m.workload(testNS, testCluster)
	if w == nil {
		t.Fatal("no workload API started for the load balancer")
	}
	host, port := w.hostPort()
	if p, _ := osc.num("spec", "controlPlaneEndpoint", "port"); osc.str("spec", "controlPlaneEndpoint", "host") != host || p != port {
		t.Errorf("controlPlaneEndpoint = %v, want %s:%d", osc.get("spec", "controlPlaneEndpoint"), host, port)
	}
	for _, k := range []string{"network", "router", "controlPlaneSecurityGroup", "workerSecurityGroup", "apiServerLoadBalancer"} {
		if osc.get("status", k) == nil {
			t.Errorf("status.%s missing", k)
		}
	}
	if osc.str("status", "externalNetwork", "id") != "ext-1" {
		t.Errorf("externalNetwork = %v", osc.get("status", "externalNetwork"))
	}
	if got := lastEvent(f, "OpenStackCluster"); !strings.HasPrefix(got, "SuccessfulAssociateFloatingIP: Associated floating IP "+host+" with port ") {
		t.Errorf("last OpenStackCluster event = %q", got)
	}
	c := f.get(rCluster, testNS, testCluster)
	if c.str("status", "phase") != "Provisioned" || !isTrue(c, "InfrastructureReady") || c.str("spec", "controlPlaneEndpoint", "host") != host {
		t.Errorf("Cluster phase %q InfrastructureReady %v endpoint %v", c.str("status", "phase"), getCond(c, "InfrastructureReady"), c.get("spec", "controlPlaneEndpoint"))
	}

	// Delete: CAPO removes what it made (Events the driver may show while
	// DELETE_IN_PROGRESS), stops the API and drops its finalizer.
	if err := m.k.remove(ctx, rOSC, testNS, "osc"); err != nil {
		t.Fatal(err)
	}
	passes(t, m, 2, runInfra(ctx, m), nil)
	if f.get(rOSC, testNS, "osc") != nil {
		t.Error("the OpenStackCluster stayed after its delete")
	}
	if m.workload(testNS, testCluster) != nil {
		t.Error("the workload API outlived its load balancer")
	}
	ev := f.events()
	for _, reason := range []string{"SuccessfulDeleteLoadBalancer", "SuccessfulDeleteSecurityGroup", "SuccessfulDeleteRouter", "SuccessfulDeleteNetwork"} {
		if !slices.ContainsFunc(ev, func(e string) bool { return strings.HasPrefix(e, "OpenStackCluster "+reason+":") }) {
			t.Errorf("no %s event: %v", reason, ev)
		}
	}
}

// TestOpenStackClusterNoExternalNetwork: CAPO records a failure and never
// reports ready, so the Cluster stays Provisioning with
// InfrastructureReady False and the driver keeps the bay
// CREATE_IN_PROGRESS.
func TestOpenStackClusterNoExternalNetwork(t *testing.T) {
	for _, tc := range []struct {
		name     string
		networks []map[string]any
		message  string
	}{
		{"none", nil, "failed to reconcile external network: no external network found"},
		{"not external", []map[string]any{{"id": "ext-1", "name": "private", "router:external": false}}, "failed to reconcile external network: no external network found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m, f := newTestManagement(t)
			seedOpenStackCluster(t, m, f, fakeCloud(t, tc.networks).URL)
			passes(t, m, 3, runInfra(ctx, m), nil)
			osc := f.get(rOSC, testNS, "osc")
			if osc.boolean("status", "ready") || osc.str("status", "failureReason") != "UpdateError" || osc.str("status", "failureMessage") != tc.message {
				t.Errorf("OpenStackCluster status = %v", osc["status"])
			}
			if osc.str("spec", "controlPlaneEndpoint", "host") != "" || m.workload(testNS, testCluster) != nil {
				t.Error("a load balancer was made without an external network")
			}
			c := f.get(rCluster, testNS, testCluster)
			if c.str("status", "phase") != "Provisioning" || isTrue(c, "InfrastructureReady") || isTrue(c, "Ready") {
				t.Errorf("Cluster phase %q conditions %v", c.str("status", "phase"), c.get("status", "conditions"))
			}
		})
	}
}
