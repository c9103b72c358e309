package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// kubeCreds is what `openstack coe cluster config` assembles: the CA and a
// client certificate for a key of its own.
type kubeCreds struct {
	caPEM, certPEM string
	key            *ecdsa.PrivateKey
}

func newCSR(t *testing.T, key *ecdsa.PrivateKey, exts ...pkix.Extension) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		ExtraExtensions: exts,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func parseCert(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		t.Fatalf("no PEM in %q", p)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func (e *clusterEnv) kubeCreds(m *magnum, id string) kubeCreds {
	e.t.Helper()
	r := m.do("GET", "/v1/certificates/"+id, nil)
	if r.status != 200 {
		e.t.Fatalf("GET CA: %d %s", r.status, r.raw)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	s := m.do("POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": newCSR(e.t, key)})
	if s.status != 201 {
		e.t.Fatalf("sign: %d %s", s.status, s.raw)
	}
	return kubeCreds{caPEM: r.body["pem"].(string), certPEM: s.body["pem"].(string), key: key}
}

// kubeGet calls the cluster's Kubernetes endpoint the way kubectl would
// with a kubeconfig built from creds, on a fresh connection.
func kubeGet(t *testing.T, url string, creds kubeCreds) (int, []byte, error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(creds.caPEM))
	keyDER, err := x509.MarshalECPrivateKey(creds.key)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair([]byte(creds.certPEM), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}},
	}}
	res, err := client.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

func (e *clusterEnv) kubeVersion(id string) string {
	e.t.Helper()
	api := e.cluster(id)["api_address"].(string)
	status, body, err := kubeGet(e.t, api+"/version", e.kubeCreds(e.demo, id))
	if err != nil || status != 200 {
		e.t.Fatalf("GET %s/version: %d %v %s", api, status, err, body)
	}
	var v struct{ GitVersion string }
	if err := json.Unmarshal(body, &v); err != nil {
		e.t.Fatal(err)
	}
	return v.GitVersion
}

func TestCertificateGet(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	r := e.demo.do("GET", "/v1/certificates/"+id, nil)
	wantKeys(t, "GET certificate", orderedKeys(t, r.raw), []string{"bay_uuid", "cluster_uuid", "links", "pem"})
	ca := parseCert(t, r.body["pem"].(string))
	if ca.Subject.CommonName != "c1" || !ca.IsCA || r.body["cluster_uuid"] != id || r.body["bay_uuid"] != id {
		t.Errorf("CA subject %v IsCA %v body %s", ca.Subject, ca.IsCA, r.raw)
	}
	serials := map[string]string{}
	for _, typ := range []string{"", "etcd", "front_proxy", "front-proxy", "bogus"} {
		r := e.demo.do("GET", "/v1/certificates/c1?ca_cert_type="+typ, nil)
		if r.status != 200 {
			t.Fatalf("ca_cert_type=%s: %d %s", typ, r.status, r.raw)
		}
		serials[typ] = parseCert(t, r.body["pem"].(string)).SerialNumber.String()
	}
	if serials["etcd"] == serials[""] || serials["front_proxy"] == serials[""] || serials["etcd"] == serials["front_proxy"] {
		t.Errorf("etcd and front-proxy CAs must be distinct: %v", serials)
	}
	if serials["front-proxy"] != serials["front_proxy"] || serials["bogus"] != serials[""] {
		t.Errorf("front-proxy aliases front_proxy and unknown types fall back to kubernetes: %v", serials)
	}
}

func TestCertificateSign(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr := newCSR(t, key)
	r := e.demo.do("POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": csr})
	if r.status != 201 {
		t.Fatalf("sign: %d %s", r.status, r.raw)
	}
	wantKeys(t, "POST certificate", orderedKeys(t, r.raw), []string{"bay_uuid", "cluster_uuid", "links", "csr", "pem"})
	cert := parseCert(t, r.body["pem"].(string))
	if cert.Issuer.CommonName != "c1" || cert.Subject.CommonName != "admin" || len(cert.Subject.Organization) != 1 ||
		cert.Subject.Organization[0] != "system:masters" || r.body["csr"] != csr {
		t.Errorf("signed cert issuer %v subject %v", cert.Issuer, cert.Subject)
	}
	if days := cert.NotAfter.Sub(cert.NotBefore).Hours() / 24; days != 1826 {
		t.Errorf("validity %v days, want 1826", days)
	}
	// bay_uuid and a cluster name work too (#269, #270).
	for _, body := range []map[string]any{{"bay_uuid": id, "csr": csr}, {"cluster_uuid": "c1", "csr": csr}} {
		if r := e.demo.do("POST", "/v1/certificates", body); r.status != 201 || r.body["cluster_uuid"] != id {
			t.Errorf("POST %v: %d %s", body, r.status, r.raw)
		}
	}

	keyCertSign, err := asn1.Marshal(asn1.BitString{Bytes: []byte{0x04}, BitLength: 6})
	if err != nil {
		t.Fatal(err)
	}
	critical := newCSR(t, key, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Critical: true, Value: keyCertSign})
	if r := e.demo.do("POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": critical}); r.status != 500 {
		t.Errorf("critical keyCertSign: %d %s, want Magnum's RPC-timeout 500", r.status, r.raw)
	}

	demo2, alt, admin := newMagnum(t, e.s, "demo2"), newMagnum(t, e.s, "alt"), newMagnum(t, e.s, "admin")
	zero := "00000000-0000-0000-0000-000000000000"
	tests := []struct {
		name   string
		m      *magnum
		method string
		path   string
		body   any
		status int
		detail string
	}{
		{"garbage CSR", e.demo, "POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": "garbage"}, 400, "Received invalid csr b'garbage'."},
		{"unknown cluster", e.demo, "POST", "/v1/certificates", map[string]any{"cluster_uuid": zero, "csr": csr}, 400, "Cluster " + zero + " could not be found."},
		{"no cluster", e.demo, "POST", "/v1/certificates", map[string]any{"csr": csr}, 500, "Circular reference detected"},
		{"other member GET", demo2, "GET", "/v1/certificates/" + id, nil, 403, "Policy doesn't allow certificate:get to be performed."},
		{"other member POST", demo2, "POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": csr}, 403, "Policy doesn't allow certificate:create to be performed."},
		{"other project GET", alt, "GET", "/v1/certificates/" + id, nil, 404, "Cluster " + id + " could not be found."},
		{"other project POST", alt, "POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": csr}, 400, "Cluster " + id + " could not be found."},
		{"other project's admin GET", admin, "GET", "/v1/certificates/" + id, nil, 404, "Cluster " + id + " could not be found."},
		{"other project's admin POST", admin, "POST", "/v1/certificates", map[string]any{"cluster_uuid": id, "csr": csr}, 400, "Cluster " + id + " could not be found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantMagnumError(t, tt.m.do(tt.method, tt.path, tt.body), tt.status, tt.detail)
		})
	}
	// demo2 can still read the cluster itself (#277).
	if r := demo2.do("GET", "/v1/clusters/"+id, nil); r.status != 200 {
		t.Errorf("demo2 GET cluster: %d", r.status)
	}
}

func TestCARotation(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	api := e.cluster(id)["api_address"].(string)
	old := e.kubeCreds(e.demo, id)
	if status, _, err := kubeGet(t, api+"/version", old); err != nil || status != 200 {
		t.Fatalf("kubeconfig before rotation: %d %v", status, err)
	}
	if r := e.demo.do("PATCH", "/v1/certificates/"+id, nil); r.status != 202 || r.body["uuid"] != id {
		t.Fatalf("rotate: %d %s", r.status, r.raw)
	}
	if st := e.cluster(id)["status"]; st != "UPDATE_IN_PROGRESS" {
		t.Errorf("status after rotation = %v", st)
	}
	fresh := e.kubeCreds(e.demo, id)
	if fresh.caPEM == old.caPEM {
		t.Fatal("GET /v1/certificates still returns the old CA")
	}
	// The old client certificate, even presented to a client that trusts
	// the new CA, is refused.
	stale := kubeCreds{caPEM: fresh.caPEM, certPEM: old.certPEM, key: old.key}
	if status, _, err := kubeGet(t, api+"/version", stale); err == nil && status == 200 {
		t.Error("old client certificate still accepted after rotation")
	}
	if status, _, err := kubeGet(t, api+"/version", fresh); err != nil || status != 200 {
		t.Errorf("new kubeconfig: %d %v", status, err)
	}
	e.clock.Advance(2 * time.Second)
	if st := e.cluster(id)["status"]; st != "UPDATE_COMPLETE" {
		t.Errorf("status after the rotation's stack update = %v", st)
	}
	if err := e.s.RotateCA(id); err != nil {
		t.Errorf("RotateCA: %v", err)
	}

	// Only the fedora-coreos driver can rotate; the cluster is left
	// UPDATE_FAILED, with the new CA Magnum generated before it asked the
	// driver, which the cluster's API never took.
	atomic := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-atomic"), "image_id", "fedora-21-atomic-5"))["uuid"].(string)
	aid := e.create("atomic", "cluster_template_id", atomic)
	e.clock.Advance(3 * time.Second)
	before := e.demo.do("GET", "/v1/certificates/"+aid, nil).body["pem"]
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+aid, nil), 400, "'rotate_ca_certificate' is not supported by this driver.")
	if c := e.cluster(aid); c["status"] != "UPDATE_FAILED" || c["status_reason"] != "'rotate_ca_certificate' is not supported by this driver." {
		t.Errorf("after refused rotation: %v %v", c["status"], c["status_reason"])
	}
	if after := e.demo.do("GET", "/v1/certificates/"+aid, nil).body["pem"]; after == before || after == nil || before == nil {
		t.Errorf("the refused rotation left the CA as it was (or unreadable): %v", after)
	}
	// Outside a *_COMPLETE status the conductor refuses before it
	// regenerates anything.
	failedCA := e.demo.do("GET", "/v1/certificates/"+aid, nil).body["pem"]
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+aid, nil), 400, `Updating a cluster when status is "UPDATE_FAILED" is not supported.`)
	if after := e.demo.do("GET", "/v1/certificates/"+aid, nil).body["pem"]; after != failedCA {
		t.Error("a rotation refused for the cluster's status changed its CA")
	}
	plain := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-notls"), "tls_disabled", true))["uuid"].(string)
	pid := e.create("notls", "cluster_template_id", plain)
	e.clock.Advance(3 * time.Second)
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+pid, nil), 400, "Rotating the CA certificate on a non-TLS cluster is not supported")
	if c := e.cluster(pid); c["api_address"] != "http://127.0.0.1:8080" {
		t.Errorf("tls_disabled api_address = %v", c["api_address"])
	}
}

// refusingRotation is a bay's Kubernetes API that cannot switch CAs.
type refusingRotation struct{ kubeapi.Endpoint }

func (refusingRotation) RotateCA(*pki.CA) error {
	return errors.New("serving certificate rejected (simulated)")
}

// A Kubernetes API that does not take the new CA fails the rotation where
// the provider's waiter sees it, in status and status_reason, and the log
// says why; it is not swallowed.
func TestCARotationReportsAKubernetesAPIThatRefusesTheNewCA(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	e := newClusterEnv(t, Options{KubeLogf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, f+"\n", a...)
	}})
	id := e.completed("c1")
	st := e.s.services().magnum.st
	st.mu.Lock()
	c := st.clusters[id]
	c.kube = refusingRotation{c.kube}
	st.mu.Unlock()
	if r := e.demo.do("PATCH", "/v1/certificates/"+id, nil); r.status != 202 {
		t.Fatalf("rotate: %d %s", r.status, r.raw)
	}
	const want = "The Kubernetes API server of the cluster did not take the new CA: serving certificate rejected (simulated)"
	if c := e.cluster(id); c["status"] != "UPDATE_FAILED" || c["status_reason"] != want {
		t.Errorf("after the refused rotation: %v %q", c["status"], c["status_reason"])
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "cluster c1 ("+id+"): "+want) {
		t.Errorf("log: %q", logs.String())
	}
}

// rotate_ca_certificate refuses a cluster that is not in a *_COMPLETE
// status before it asks the driver, and leaves the cluster as it was (real
// Magnum 20 on an UPDATE_FAILED cluster: make difftest RELEASE=capi).
func TestCARotationNeedsACompleteCluster(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.create("busy")
	if st := e.cluster(id)["status"]; st != "CREATE_IN_PROGRESS" {
		t.Fatalf("status = %v, want CREATE_IN_PROGRESS", st)
	}
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+id, nil), 400, `Updating a cluster when status is "CREATE_IN_PROGRESS" is not supported.`)
	if c := e.cluster(id); c["status"] != "CREATE_IN_PROGRESS" || c["status_reason"] != nil {
		t.Errorf("after the refusal: %v %v, want CREATE_IN_PROGRESS and no reason", c["status"], c["status_reason"])
	}

	// A refused rotation leaves UPDATE_FAILED; a second one is refused for
	// that status, not by the driver again.
	atomic := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-atomic"), "image_id", "fedora-21-atomic-5"))["uuid"].(string)
	aid := e.create("atomic", "cluster_template_id", atomic)
	e.clock.Advance(3 * time.Second)
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+aid, nil), 400, "'rotate_ca_certificate' is not supported by this driver.")
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+aid, nil), 400, `Updating a cluster when status is "UPDATE_FAILED" is not supported.`)
	if err := e.s.RotateCA(aid); err == nil {
		t.Error("an out-of-band rotation of an UPDATE_FAILED cluster succeeded")
	}
}
