package kubeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// startTimeout bounds how long a process may take to answer after it was
// started. Two cores shared with a test suite can make kube-apiserver take
// ten times its idle start time.
const startTimeout = 2 * time.Minute

// Real runs a real control plane per bay on one etcd shared by the
// simulator's bays, each bay under its own key prefix.
type Real struct {
	bin      string
	dir      string
	logf     func(format string, args ...any)
	auditDir string

	etcdOnce sync.Once
	etcd     *process
	etcdURL  string
	etcdErr  error

	mu     sync.Mutex
	bays   map[*bay]struct{}
	seq    int
	closed bool
}

func newReal(binDir string, logf func(string, ...any), auditDir string) (*Real, error) {
	if auditDir != "" {
		if err := os.MkdirAll(auditDir, 0o700); err != nil {
			return nil, fmt.Errorf("kubeapi: %w", err)
		}
		if err := os.WriteFile(filepath.Join(auditDir, auditPolicyFile), []byte(AuditPolicy), 0o600); err != nil {
			return nil, fmt.Errorf("kubeapi: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "magnum-sim-kube-")
	if err != nil {
		return nil, fmt.Errorf("kubeapi: %w", err)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Real{bin: binDir, dir: dir, logf: logf, auditDir: auditDir, bays: map[*bay]struct{}{}}, nil
}

const auditPolicyFile = "audit-policy.yaml"

// AuditPolicy is what Options.AuditDir's logs hold: every request of a
// client outside the simulator, with its bodies, and the writes of the
// Cluster API stand-ins (user capi-controllers); the API server's, the
// controller manager's, the scheduler's and the simulator's own requests
// are left out. Secrets and ConfigMaps are logged without their data: they
// carry private keys, application credentials and kubeconfigs.
const AuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: [system:apiserver, system:kube-controller-manager, system:kube-scheduler, magnum-sim]
- level: None
  userGroups: [system:nodes, system:serviceaccounts]
- level: None
  users: [capi-controllers]
  verbs: [get, list, watch]
- level: Metadata
  resources: [{group: "", resources: [secrets, configmaps]}]
- level: RequestResponse
`

// Describe names the backend for the simulator's log.
func (r *Real) Describe() string {
	return fmt.Sprintf("a real kube-apiserver %s per bay, with kube-controller-manager and kube-scheduler, on etcd (binaries in %s)", Version, r.bin)
}

// Mode is ModeReal.
func (r *Real) Mode() string { return ModeReal }

// Start prepares a bay's control plane and starts it in the background; the
// endpoint's Ready says when it serves.
func (r *Real) Start(bayName string, ca *pki.CA) (Endpoint, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, errors.New("kubeapi: the simulator is shutting down")
	}
	r.seq++
	id := strconv.Itoa(r.seq)
	r.mu.Unlock()
	b, err := newBay(r, bayName, id, ca)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bays[b] = struct{}{}
	r.mu.Unlock()
	go b.run()
	return b, nil
}

// Close stops every bay, then etcd, and removes the working directory.
func (r *Real) Close() error {
	r.mu.Lock()
	r.closed = true
	bays := make([]*bay, 0, len(r.bays))
	for b := range r.bays {
		bays = append(bays, b)
	}
	r.mu.Unlock()
	for _, b := range bays {
		_ = b.Close()
	}
	for _, b := range bays {
		<-b.done
	}
	// Once cannot run after this, so no etcd starts behind our back.
	r.etcdOnce.Do(func() { r.etcdErr = errors.New("kubeapi: closed") })
	r.etcd.stop(5 * time.Second)
	return os.RemoveAll(r.dir)
}

// Running counts the bays whose processes have not all stopped yet.
func (r *Real) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bays)
}

func (r *Real) forget(b *bay) {
	r.mu.Lock()
	delete(r.bays, b)
	r.mu.Unlock()
}

// ensureEtcd starts the shared etcd the first time a bay needs it.
func (r *Real) ensureEtcd() (string, error) {
	r.etcdOnce.Do(func() { r.etcdURL, r.etcdErr = r.startEtcd() })
	return r.etcdURL, r.etcdErr
}

func (r *Real) startEtcd() (string, error) {
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePortList(2)
		if err != nil {
			return "", err
		}
		url := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		p, err := startProcess("etcd", filepath.Join(r.bin, "etcd"), []string{
			"--name=sim", "--data-dir=" + filepath.Join(r.dir, "etcd"),
			"--listen-client-urls=" + url, "--advertise-client-urls=" + url,
			"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=sim=" + peerURL,
			// Nothing here must survive the simulator.
			"--unsafe-no-fsync", "--log-level=warn",
		}, filepath.Join(r.dir, "etcd.log"))
		if err != nil {
			return "", err
		}
		err = waitFor(context.Background(), p, startTimeout, func(ctx context.Context) bool {
			return httpOK(ctx, http.DefaultClient, url+"/health", "")
		})
		if err == nil {
			r.etcd = p
			return url, nil
		}
		p.stop(time.Second)
		if !portTaken(p) {
			return "", err
		}
	}
	return "", errors.New("etcd: no free port after 3 attempts")
}

// deletePrefix removes a bay's keys through etcd's JSON gateway.
func (r *Real) deletePrefix(prefix string) error {
	if r.etcdURL == "" {
		return nil
	}
	end := []byte(prefix)
	end[len(end)-1]++
	body, _ := json.Marshal(map[string]string{
		"key":       base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString(end),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.etcdURL+"/v3/kv/deleterange", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd deleterange: %s", resp.Status)
	}
	return nil
}

// freePortList finds n loopback ports nobody listens on now. A process
// given one may still lose it to another; callers retry on "address already
// in use".
func freePortList(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// portTaken reports whether a process that ended said its port was in use.
func portTaken(p *process) bool {
	return bytes.Contains([]byte(tailFile(p.logPath, 40)), []byte("address already in use"))
}

// waitFor polls ok every 100 ms until it answers true, the process ends,
// ctx is done, or timeout passes.
func waitFor(ctx context.Context, p *process, timeout time.Duration, ok func(context.Context) bool) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if done, err := p.exited(); done {
			return p.failure("ended (" + err.Error() + ")")
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		good := ok(cctx)
		cancel()
		if good {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p.failure(fmt.Sprintf("did not answer within %s", timeout))
}

// httpOK reports whether GET url answers 200, with a bearer token if given.
func httpOK(ctx context.Context, c *http.Client, url, token string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
