package kubeapi

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// requireBinaries skips without the real binaries, unless
// MAGNUM_REQUIRE_KUBE_BINS is set (CI builds them first).
func requireBinaries(t *testing.T) string {
	t.Helper()
	dir := DefaultBinDir()
	if err := FindBinaries(dir); err != nil {
		if os.Getenv("MAGNUM_REQUIRE_KUBE_BINS") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return dir
}

// client is a kubectl-like client with a certificate the bay's CA signed,
// as Magnum's certificate API hands out.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, url string, ca *pki.CA, cn string, orgs ...string) *client {
	t.Helper()
	certPEM, keyPEM, err := ca.IssueClientCert(cn, orgs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: url, http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{pair}},
	}}}
}

func (c *client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// refused: a certificate the API server cannot verify fails
// authentication (401), or leaves the request anonymous, which RBAC
// forbids (403).
func refused(code int) bool { return code == http.StatusUnauthorized || code == http.StatusForbidden }

// eventually polls cond every 200 ms for at most timeout.
func eventually(t testing.TB, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s; last: %s", what, timeout, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func startBay(t testing.TB, b Backend, name string, workers int) (Endpoint, *pki.CA) {
	t.Helper()
	ca, err := pki.NewCA(name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ep, err := b.Start(name, ca)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []Node
	for i := 0; i < workers; i++ {
		nodes = append(nodes, Node{
			Name: fmt.Sprintf("%s-node-%d", name, i), InternalIP: fmt.Sprintf("10.0.0.%d", 100+i),
			Labels:         map[string]string{"magnum.openstack.org/role": "worker", "magnum.openstack.org/nodegroup": "default-worker"},
			KubeletVersion: "v1.32.3", CPU: 2, MemoryMiB: 4096,
		})
	}
	ep.SetNodes(nodes)
	eventually(t, name+" ready with its nodes", 3*time.Minute, func() (bool, string) {
		ready, err := ep.Ready()
		if err != nil {
			t.Fatalf("%s did not start: %v", name, err)
		}
		return ready && ep.NodesSynced(), fmt.Sprintf("ready %v synced %v", ready, ep.NodesSynced())
	})
	return ep, ca
}

func deployment(name string, replicas int) map[string]any {
	labels := map[string]any{"app": name}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx:1.27"}}},
			},
		},
	}
}

// Two bays on one simulator: each is a real API server that accepts only
// its own CA's client certificates, keeps its objects to itself, runs a
// Deployment to Ready without a kubelet, and leaves no process behind.
func TestRealBays(t *testing.T) {
	dir := requireBinaries(t)
	var logs bytes.Buffer
	b, err := New(Options{Mode: ModeReal, BinDir: dir, Logf: func(f string, a ...any) { fmt.Fprintf(&logs, f+"\n", a...) }})
	if err != nil {
		t.Fatal(err)
	}
	r := b.(*Real)
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = b.Close()
		}
	})
	t0 := time.Now()
	a, caA := startBay(t, b, "bay-a", 2)
	t.Logf("bay-a ready with 2 nodes %s after Start", time.Since(t0).Round(10*time.Millisecond))
	bb, caB := startBay(t, b, "bay-b", 1)
	ca := newClient(t, a.URL(), caA, "admin", "system:masters")
	cb := newClient(t, bb.URL(), caB, "admin", "system:masters")

	if code, v := ca.do("GET", "/version", nil); code != 200 || v["gitVersion"] != Version {
		t.Errorf("/version: %d %v", code, v)
	}
	// A certificate from bay-b's CA is refused by bay-a's API server.
	if code, _ := newClient(t, a.URL(), caA, "x").do("GET", "/api/v1/namespaces", nil); code != http.StatusForbidden {
		t.Errorf("a certificate without groups: %d, want 403 from RBAC", code)
	}
	wrong := newClient(t, a.URL(), caB, "admin", "system:masters")
	wrong.http.Transport.(*http.Transport).TLSClientConfig.RootCAs = caA.Pool()
	if code, _ := wrong.do("GET", "/api/v1/namespaces", nil); !refused(code) {
		t.Errorf("another bay's certificate: %d, want 401 or 403", code)
	}

	if code, body := ca.do("POST", "/api/v1/namespaces", map[string]any{"metadata": map[string]any{"name": "apps"}}); code != 201 {
		t.Fatalf("create namespace: %d %v", code, body)
	}
	if code, body := ca.do("POST", "/apis/apps/v1/namespaces/apps/deployments", deployment("web", 3)); code != 201 {
		t.Fatalf("create deployment: %d %v", code, body)
	}
	eventually(t, "deployment web available", 2*time.Minute, func() (bool, string) {
		_, d := ca.do("GET", "/apis/apps/v1/namespaces/apps/deployments/web", nil)
		st, _ := d["status"].(map[string]any)
		return st["availableReplicas"] == float64(3) && st["updatedReplicas"] == float64(3), fmt.Sprint(st)
	})
	_, pods := ca.do("GET", "/api/v1/namespaces/apps/pods", nil)
	for _, item := range pods["items"].([]any) {
		p := item.(map[string]any)
		spec, st := p["spec"].(map[string]any), p["status"].(map[string]any)
		if !strings.HasPrefix(fmt.Sprint(spec["nodeName"]), "bay-a-node-") || st["phase"] != "Running" {
			t.Errorf("pod %v on %v: %v", p["metadata"].(map[string]any)["name"], spec["nodeName"], st["phase"])
		}
	}
	// bay-b sees none of it.
	if code, _ := cb.do("GET", "/api/v1/namespaces/apps", nil); code != http.StatusNotFound {
		t.Errorf("bay-b sees bay-a's namespace: %d", code)
	}
	_, nodes := cb.do("GET", "/api/v1/nodes", nil)
	if n := len(nodes["items"].([]any)); n != 1 {
		t.Errorf("bay-b has %d nodes, want 1", n)
	}

	// A namespace delete finishes: the namespace controller empties it and
	// the kubelets let its pods go.
	if code, body := ca.do("DELETE", "/api/v1/namespaces/apps", nil); code != 200 {
		t.Fatalf("delete namespace: %d %v", code, body)
	}
	eventually(t, "namespace apps gone", 2*time.Minute, func() (bool, string) {
		code, body := ca.do("GET", "/api/v1/namespaces/apps", nil)
		return code == http.StatusNotFound, fmt.Sprint(code, body["status"])
	})

	// CA rotation: the old CA's certificates are refused, the new CA's
	// accepted once the API server is back.
	caA2, err := pki.NewCA("bay-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RotateCA(caA2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bay-a back after CA rotation", 3*time.Minute, func() (bool, string) {
		ready, err := a.Ready()
		return ready && a.NodesSynced(), fmt.Sprint(ready, err)
	})
	old := newClient(t, a.URL(), caA, "admin", "system:masters")
	old.http.Transport.(*http.Transport).TLSClientConfig.RootCAs = caA2.Pool()
	if code, _ := old.do("GET", "/api/v1/nodes", nil); !refused(code) {
		t.Errorf("old CA's certificate after rotation: %d, want 401 or 403", code)
	}
	if code, _ := newClient(t, a.URL(), caA2, "admin", "system:masters").do("GET", "/api/v1/nodes", nil); code != 200 {
		t.Errorf("new CA's certificate after rotation: %d", code)
	}

	var pids []int
	r.mu.Lock()
	for bay := range r.bays {
		bay.mu.Lock()
		for _, p := range bay.procs {
			pids = append(pids, p.pid())
		}
		bay.mu.Unlock()
	}
	r.mu.Unlock()
	pids = append(pids, r.etcd.pid())
	if len(pids) != 7 {
		t.Errorf("%d processes for two bays, want 3 each and one etcd", len(pids))
	}
	dirPath := r.dir
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("process %d still runs after Close", pid)
		}
	}
	if _, err := os.Stat(dirPath); !os.IsNotExist(err) {
		t.Errorf("working directory %s left behind: %v", dirPath, err)
	}
	if strings.Contains(logs.String(), "did not start") {
		t.Errorf("log: %s", logs.String())
	}
}

// An API server that cannot start is reported with its own words.
func TestRealBayStartFailureIsReported(t *testing.T) {
	dir := requireBinaries(t)
	bin := t.TempDir()
	for _, name := range Binaries {
		target := dir + "/" + name
		if name == "kube-apiserver" {
			// A kube-apiserver that refuses its flags.
			script := "#!/bin/sh\necho 'Error: unknown flag: --etcd-servers (simulated)' >&2\nexit 1\n"
			if err := os.WriteFile(bin+"/"+name, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(target, bin+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	b, err := New(Options{Mode: ModeReal, BinDir: bin, Logf: func(f string, a ...any) { fmt.Fprintf(&logs, f+"\n", a...) }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ca, err := pki.NewCA("broken", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ep, err := b.Start("broken", ca)
	if err != nil {
		t.Fatal(err)
	}
	var startErr error
	eventually(t, "start failure", time.Minute, func() (bool, string) {
		_, startErr = ep.Ready()
		return startErr != nil, "no error yet"
	})
	if !strings.Contains(startErr.Error(), "unknown flag: --etcd-servers (simulated)") || !strings.Contains(logs.String(), "bay broken: the Kubernetes API did not start") {
		t.Errorf("error %q, log %q", startErr, logs.String())
	}
}

// BenchmarkRealBay measures what one bay's real control plane costs: the
// time from Start until the API serves and shows two nodes, and the
// resident memory of its processes once it does (etcd, shared by all bays
// of a simulator, reported apart). Run with `make bench-kube`.
func BenchmarkRealBay(b *testing.B) {
	dir := DefaultBinDir()
	if err := FindBinaries(dir); err != nil {
		b.Skip(err)
	}
	backend, err := New(Options{Mode: ModeReal, BinDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Close()
	r := backend.(*Real)
	var rss, etcdRSS float64
	per := map[string]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ep, _ := startBay(b, backend, fmt.Sprintf("bench-%d", i), 2)
		b.StopTimer()
		bay := ep.(*bay)
		bay.mu.Lock()
		for _, p := range bay.procs {
			m := rssMiB(p.pid())
			rss += m
			per[p.name] += m
		}
		bay.mu.Unlock()
		_ = ep.Close()
		<-bay.done
		b.StartTimer()
	}
	b.StopTimer()
	etcdRSS = rssMiB(r.etcd.pid())
	b.ReportMetric(rss/float64(b.N), "MiB-RSS/bay")
	for name, m := range per {
		b.ReportMetric(m/float64(b.N), "MiB-"+name)
	}
	b.ReportMetric(etcdRSS, "MiB-RSS-etcd")
}

// rssMiB reads a process's resident set size from /proc.
func rssMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			_, _ = fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
