package kube

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

const kubectlPath = "/usr/bin/kubectl"

// RSA-2048 CA generation dominates the run time, so the two CAs every test
// needs are made once.
var (
	casOnce        sync.Once
	clusterCA      *pki.CA
	otherCA        *pki.CA
	errCAGenerated error
)

func testCAs(t *testing.T) (*pki.CA, *pki.CA) {
	t.Helper()
	casOnce.Do(func() {
		clusterCA, errCAGenerated = pki.NewCA("k8s-bay", time.Now())
		if errCAGenerated == nil {
			otherCA, errCAGenerated = pki.NewCA("k8s-bay", time.Now())
		}
	})
	if errCAGenerated != nil {
		t.Fatal(errCAGenerated)
	}
	return clusterCA, otherCA
}

func startServer(t *testing.T, ca *pki.CA) *Server {
	t.Helper()
	s, err := Start(ca, "k8s-bay")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// client returns an HTTP client that trusts serverCA and presents a client
// certificate issued by clientCA (none when clientCA is nil).
func client(t *testing.T, serverCA, clientCA *pki.CA, cn string, orgs ...string) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: serverCA.Pool()}
	if clientCA != nil {
		certPEM, keyPEM, err := clientCA.IssueClientCert(cn, orgs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func do(t *testing.T, c *http.Client, method, url, accept, body string) (int, map[string]any, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, url, data)
	}
	return resp.StatusCode, out, nil
}

func TestServer_API(t *testing.T) {
	ca, _ := testCAs(t)
	s := startServer(t, ca)
	c := client(t, ca, ca, "admin", "system:masters")

	tests := []struct {
		name, method, path, accept, body string
		wantCode                         int
		check                            func(t *testing.T, body map[string]any)
	}{
		{
			name: "version", method: "GET", path: "/version", wantCode: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["gitVersion"] != "v1.23.3" || b["major"] != "1" || b["minor"] != "23" {
					t.Errorf("version = %v", b)
				}
			},
		},
		{
			name: "aggregated discovery request gets legacy JSON", method: "GET", path: "/api",
			accept:   "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
			wantCode: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["kind"] != "APIVersions" {
					t.Errorf("kind = %v, want APIVersions", b["kind"])
				}
			},
		},
		{
			name: "namespaces as Table", method: "GET", path: "/api/v1/namespaces",
			accept:   "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
			wantCode: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["kind"] != "Table" || b["apiVersion"] != "meta.k8s.io/v1" {
					t.Fatalf("kind/apiVersion = %v/%v", b["kind"], b["apiVersion"])
				}
				var cols []string
				for _, c := range b["columnDefinitions"].([]any) {
					cols = append(cols, c.(map[string]any)["name"].(string))
				}
				if got := strings.Join(cols, ","); got != "Name,Status,Age" {
					t.Errorf("columns = %s", got)
				}
				var names []string
				for _, r := range b["rows"].([]any) {
					names = append(names, r.(map[string]any)["cells"].([]any)[0].(string))
				}
				if got := strings.Join(names, ","); got != "default,kube-node-lease,kube-public,kube-system" {
					t.Errorf("rows = %s", got)
				}
			},
		},
		{
			name: "namespaces as list", method: "GET", path: "/api/v1/namespaces?fieldSelector=metadata.name%3Dkube-system", wantCode: 200,
			check: func(t *testing.T, b map[string]any) {
				items := b["items"].([]any)
				if b["kind"] != "NamespaceList" || len(items) != 1 {
					t.Errorf("list = %v", b)
				}
			},
		},
		{
			name: "create", method: "POST", path: "/api/v1/namespaces", body: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}`, wantCode: 201,
			check: func(t *testing.T, b map[string]any) {
				if b["metadata"].(map[string]any)["name"] != "team-a" {
					t.Errorf("created = %v", b)
				}
			},
		},
		{
			name: "create duplicate", method: "POST", path: "/api/v1/namespaces", body: `{"metadata":{"name":"default"}}`, wantCode: 409,
			check: wantStatus("AlreadyExists", `namespaces "default" already exists`),
		},
		{
			name: "create invalid name", method: "POST", path: "/api/v1/namespaces", body: `{"metadata":{"name":"Bad_Name"}}`, wantCode: 422,
			check: wantStatus("Invalid", ""),
		},
		{
			name: "get missing", method: "GET", path: "/api/v1/namespaces/nope", wantCode: 404,
			check: wantStatus("NotFound", `namespaces "nope" not found`),
		},
		{
			name: "delete", method: "DELETE", path: "/api/v1/namespaces/team-a", wantCode: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["status"].(map[string]any)["phase"] != "Terminating" {
					t.Errorf("deleted = %v", b)
				}
			},
		},
		{
			name: "get deleted", method: "GET", path: "/api/v1/namespaces/team-a", wantCode: 404,
			check: wantStatus("NotFound", `namespaces "team-a" not found`),
		},
		{
			name: "unknown path", method: "GET", path: "/api/v1/pods", wantCode: 404,
			check: wantStatus("NotFound", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, err := do(t, c, tt.method, strings.TrimSuffix(s.URL(), "/")+tt.path, tt.accept, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %v", code, tt.wantCode, body)
			}
			tt.check(t, body)
		})
	}

	subject, ok := s.LastSubject()
	if !ok || subject.CommonName != "admin" || len(subject.Organization) != 1 || subject.Organization[0] != "system:masters" {
		t.Errorf("recorded subject = %v, want CN=admin,O=system:masters", subject)
	}
	if got := len(s.Requests()); got != len(tests) {
		t.Errorf("recorded %d requests, want %d", got, len(tests))
	}
}

func wantStatus(reason, message string) func(t *testing.T, b map[string]any) {
	return func(t *testing.T, b map[string]any) {
		t.Helper()
		if b["kind"] != "Status" || b["status"] != "Failure" || b["reason"] != reason {
			t.Errorf("status body = %v, want a Failure Status with reason %s", b, reason)
		}
		if message != "" && b["message"] != message {
			t.Errorf("message = %q, want %q", b["message"], message)
		}
	}
}

func TestServer_rejectsForeignClients(t *testing.T) {
	ca, other := testCAs(t)
	s := startServer(t, ca)

	tests := []struct {
		name     string
		clientCA *pki.CA
	}{
		{"no client certificate", nil},
		{"client certificate from another CA", other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := do(t, client(t, ca, tt.clientCA, "admin", "system:masters"), "GET", s.URL()+"/version", "", "")
			if err == nil {
				t.Fatal("request succeeded, want a TLS handshake failure")
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests recorded from rejected clients", n)
	}
}

func TestServer_RotateCA(t *testing.T) {
	ca, other := testCAs(t)
	s := startServer(t, ca)
	oldClient := client(t, ca, ca, "admin", "system:masters")
	if code, _, err := do(t, oldClient, "GET", s.URL()+"/version", "", ""); err != nil || code != 200 {
		t.Fatalf("before rotation: code=%d err=%v", code, err)
	}

	if err := s.RotateCA(other); err != nil {
		t.Fatal(err)
	}
	// The old client keeps its pooled connection if the server let it; the
	// rotation must close it and refuse the new handshake.
	if _, _, err := do(t, oldClient, "GET", s.URL()+"/version", "", ""); err == nil {
		t.Error("client with the old CA's certificate still accepted after rotation")
	}
	newClient := client(t, other, other, "admin", "system:masters")
	if code, _, err := do(t, newClient, "GET", s.URL()+"/version", "", ""); err != nil || code != 200 {
		t.Errorf("after rotation with new credentials: code=%d err=%v", code, err)
	}
}

func TestServer_SetVersion(t *testing.T) {
	ca, _ := testCAs(t)
	s := startServer(t, ca)
	s.SetVersion("v1.24.3")
	_, body, err := do(t, client(t, ca, ca, "admin"), "GET", s.URL()+"/version", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if body["gitVersion"] != "v1.24.3" || body["minor"] != "24" {
		t.Errorf("version = %v", body)
	}
}

// writeKubeconfig writes a kubeconfig shaped like the one magnumclient
// writes: cluster with certificate-authority-data, user admin with client
// certificate and key data, context "default".
func writeKubeconfig(t *testing.T, dir, server string, serverCA, clientCA *pki.CA) string {
	t.Helper()
	certPEM, keyPEM, err := clientCA.IssueClientCert("admin", []string{"system:masters"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cfg := fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: k8s-bay
contexts:
- context:
    cluster: k8s-bay
    user: admin
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
`, b64(serverCA.CertPEM()), server, b64(certPEM), b64(keyPEM))
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type kubectl struct {
	t          *testing.T
	kubeconfig string
	home       string
}

func (k kubectl) run(args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", filepath.Join(k.home, "cache"), "--request-timeout", "10s"}, args...)
	cmd := exec.CommandContext(ctx, kubectlPath, full...)
	cmd.Env = []string{"HOME=" + k.home, "PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if ctx.Err() != nil {
		k.t.Fatalf("kubectl %v timed out; output:\n%s", args, out.String())
	}
	return out.String(), err
}

func requireKubectl(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Skipf("%s not available: %v", kubectlPath, err)
	}
}

func TestKubectl(t *testing.T) {
	requireKubectl(t)
	ca, _ := testCAs(t)
	s := startServer(t, ca)
	dir := t.TempDir()
	k := kubectl{t: t, kubeconfig: writeKubeconfig(t, dir, s.URL(), ca, ca), home: dir}

	steps := []struct {
		args    []string
		wantErr bool
		check   func(t *testing.T, out string)
	}{
		{
			args: []string{"get", "--raw", "/version"},
			check: func(t *testing.T, out string) {
				var v map[string]string
				if err := json.Unmarshal([]byte(out), &v); err != nil || v["gitVersion"] != "v1.23.3" {
					t.Errorf("version output %q (err %v)", out, err)
				}
			},
		},
		{
			args: []string{"get", "namespaces"},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != 5 || strings.Join(strings.Fields(lines[0]), " ") != "NAME STATUS AGE" {
					t.Fatalf("table output:\n%s", out)
				}
				if f := strings.Fields(lines[1]); len(f) != 3 || f[0] != "default" || f[1] != "Active" {
					t.Errorf("first row = %q", lines[1])
				}
			},
		},
		{
			args:  []string{"create", "namespace", "x"},
			check: wantOutput("namespace/x created"),
		},
		{
			args: []string{"get", "namespace", "x", "-o", "json"},
			check: func(t *testing.T, out string) {
				var ns struct {
					Kind     string
					Metadata struct{ Name string }
					Status   struct{ Phase string }
				}
				if err := json.Unmarshal([]byte(out), &ns); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				if ns.Kind != "Namespace" || ns.Metadata.Name != "x" || ns.Status.Phase != "Active" {
					t.Errorf("namespace = %+v", ns)
				}
			},
		},
		{
			args:    []string{"create", "namespace", "x"},
			wantErr: true,
			check:   wantOutput(`Error from server (AlreadyExists): namespaces "x" already exists`),
		},
		{
			args:  []string{"delete", "namespace", "x"},
			check: wantOutput(`namespace "x" deleted`),
		},
		{
			args:    []string{"get", "namespace", "x"},
			wantErr: true,
			check:   wantOutput(`Error from server (NotFound): namespaces "x" not found`),
		},
	}
	for _, st := range steps {
		out, err := k.run(st.args...)
		if (err != nil) != st.wantErr {
			t.Fatalf("kubectl %v: err = %v, wantErr %v; output:\n%s", st.args, err, st.wantErr, out)
		}
		st.check(t, out)
	}

	for _, r := range s.Requests() {
		if r.Subject.CommonName != "admin" || len(r.Subject.Organization) != 1 || r.Subject.Organization[0] != "system:masters" {
			t.Errorf("%s %s made as %v, want CN=admin,O=system:masters", r.Method, r.Path, r.Subject)
		}
	}
}

func TestKubectl_refusesForeignCertificate(t *testing.T) {
	requireKubectl(t)
	ca, other := testCAs(t)
	s := startServer(t, ca)
	dir := t.TempDir()
	k := kubectl{t: t, kubeconfig: writeKubeconfig(t, dir, s.URL(), ca, other), home: dir}

	out, err := k.run("get", "--raw", "/version")
	if err == nil {
		t.Fatalf("kubectl with a certificate from another CA succeeded:\n%s", out)
	}
	if len(s.Requests()) != 0 {
		t.Errorf("server served %d requests to a foreign client", len(s.Requests()))
	}
}

func wantOutput(want string) func(t *testing.T, out string) {
	return func(t *testing.T, out string) {
		t.Helper()
		if !strings.Contains(out, want) {
			t.Errorf("output %q does not contain %q", out, want)
		}
	}
}

// The hand-written API lists the bay's nodes as kubectl asks for them:
// JSON, a Table, label selectors, and one by name.
func TestServer_Nodes(t *testing.T) {
	ca, _ := testCAs(t)
	s := startServer(t, ca)
	s.SetNodes([]Node{
		{Name: "b-master-0", InternalIP: "10.0.0.10", Labels: map[string]string{"magnum.openstack.org/role": "master", "node-role.kubernetes.io/master": ""},
			Taints: []Taint{{Key: "node-role.kubernetes.io/master", Effect: "NoSchedule"}}, KubeletVersion: "v1.23.3", CPU: 1, MemoryMiB: 2048},
		{Name: "b-node-0", InternalIP: "10.0.0.100", ExternalIP: "172.24.4.100", Labels: map[string]string{"magnum.openstack.org/role": "worker"}, KubeletVersion: "v1.23.3"},
	})
	c := client(t, ca, ca, "admin", "system:masters")
	code, body, err := do(t, c, "GET", s.URL()+"/api/v1/nodes?labelSelector=magnum.openstack.org%2Frole%3Dworker", "application/json", "")
	if err != nil || code != 200 {
		t.Fatalf("list: %d %v", code, err)
	}
	items := body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["metadata"].(map[string]any)["name"] != "b-node-0" {
		t.Errorf("workers = %v", items)
	}
	code, body, _ = do(t, c, "GET", s.URL()+"/api/v1/nodes", "application/json;as=Table;v=v1;g=meta.k8s.io", "")
	rows := body["rows"].([]any)
	if code != 200 || len(rows) != 2 {
		t.Fatalf("table: %d %v", code, body)
	}
	if cells := rows[0].(map[string]any)["cells"].([]any); cells[0] != "b-master-0" || cells[2] != "master" || cells[4] != "v1.23.3" {
		t.Errorf("master row %v", cells)
	}
	code, body, _ = do(t, c, "GET", s.URL()+"/api/v1/nodes/b-master-0", "application/json", "")
	spec, _ := body["spec"].(map[string]any)
	if code != 200 || len(spec["taints"].([]any)) != 1 {
		t.Errorf("get master: %d %v", code, body)
	}
	s.SetNodes(nil)
	if code, _, _ := do(t, c, "GET", s.URL()+"/api/v1/nodes/b-master-0", "application/json", ""); code != 404 {
		t.Errorf("a removed node answers %d", code)
	}
	if code, _, _ := do(t, c, "GET", s.URL()+"/api/v1/nodes?labelSelector=a+in+(b)", "application/json", ""); code != 400 {
		t.Errorf("a set-based selector answers %d, want 400", code)
	}
}

// A server that stops serving on its own says why, so the bay that owns
// it can fail with the reason instead of pointing at a dead endpoint.
func TestServer_reportsWhyItStoppedServing(t *testing.T) {
	ca, err := pki.NewCA("stops", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(ca, "stops")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Err(); err != nil {
		t.Fatalf("Err() while serving = %v", err)
	}
	_ = s.ln.Close()
	for range 500 {
		if s.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "kube: serving:") {
		t.Fatalf("Err() after the listener closed = %v", err)
	}
}
