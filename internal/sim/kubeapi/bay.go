package kubeapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// serviceCIDR is Magnum's default portal_network_cidr; the API server's
// certificate names the first address, as on a Magnum master.
const (
	serviceCIDR      = "10.254.0.0/16"
	kubernetesSvcIP  = "10.254.0.1"
	advertiseAddress = "10.0.0.3"
)

// bay is one bay's control plane. Its URL is a loopback listener owned by
// the simulator that forwards TCP to the API server, so the address is known
// at once, survives restarts, and CA rotation can drop every connection.
type bay struct {
	r      *Real
	name   string
	dir    string
	prefix string
	// token authenticates the simulator's own requests (system:masters);
	// the components have tokens of their own.
	token, kcmToken, schedulerToken string

	proxy  net.Listener
	url    string
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	ca       *pki.CA
	restart  bool // the loop must (re)start the processes
	ready    bool
	err      error
	apiPort  int
	procs    []*process
	conns    map[net.Conn]struct{}
	nodes    []Node
	nodesGen uint64
	synced   uint64
	client   *http.Client
}

func newBay(r *Real, name, id string, ca *pki.CA) (*bay, error) {
	if ca == nil {
		return nil, errors.New("kubeapi: a CA is required")
	}
	dir := filepath.Join(r.dir, "bay-"+id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kubeapi: %w", err)
	}
	b := &bay{
		r: r, name: name, dir: dir, prefix: "/bays/" + id + "/",
		token: randomToken(), kcmToken: randomToken(), schedulerToken: randomToken(),
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		ca: ca, restart: true, conns: map[net.Conn]struct{}{},
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if err := b.writeStaticFiles(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kubeapi: listen: %w", err)
	}
	b.proxy = ln
	b.url = "https://" + ln.Addr().String()
	go b.serveProxy()
	return b, nil
}

func (b *bay) URL() string { return b.url }

func (b *bay) Ready() (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready, b.err
}

// SetVersion has nothing to change: the API server reports the version it
// was built as, and the nodes carry the bay's version (Node.KubeletVersion).
func (b *bay) SetVersion(string) {}

func (b *bay) SetNodes(nodes []Node) {
	b.mu.Lock()
	if b.nodesGen > 0 && reflect.DeepEqual(b.nodes, nodes) {
		b.mu.Unlock()
		return
	}
	b.nodes = append([]Node(nil), nodes...)
	b.nodesGen++
	b.mu.Unlock()
	b.poke()
}

func (b *bay) NodesSynced() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.synced == b.nodesGen
}

// RotateCA restarts the control plane with certificates of the new CA, as
// Magnum's rotate-kubernetes-ca-certs-master.sh restarts the master's
// services. The endpoint is not Ready until the API server answers again.
func (b *bay) RotateCA(ca *pki.CA) error {
	if ca == nil {
		return errors.New("kubeapi: a CA is required")
	}
	b.mu.Lock()
	b.ca, b.restart, b.ready, b.err = ca, true, false, nil
	b.synced = 0
	conns := b.takeConns()
	b.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	b.poke()
	return nil
}

// Close stops the bay's processes and removes its keys from etcd. It
// returns at once; the simulator's Close waits for every bay to be gone.
func (b *bay) Close() error {
	b.cancel()
	_ = b.proxy.Close()
	b.mu.Lock()
	conns := b.takeConns()
	b.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}

func (b *bay) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *bay) takeConns() []net.Conn {
	out := make([]net.Conn, 0, len(b.conns))
	for c := range b.conns {
		out = append(out, c)
	}
	clear(b.conns)
	return out
}

// run is the bay's only worker: it starts the processes, registers nodes,
// plays the kubelets, and stops everything when the bay closes.
func (b *bay) run() {
	defer close(b.done)
	defer b.shutdown()
	tick := time.NewTicker(kubeletInterval)
	defer tick.Stop()
	kubelet := &kubeletState{podIPs: map[string]string{}}
	lastErr := ""
	report := func(what string, err error) {
		if msg := what + err.Error(); msg != lastErr && b.ctx.Err() == nil {
			lastErr = msg
			b.r.logf("kubeapi: bay %s: %s: %v (retrying)", b.name, what, err)
		}
	}
	for {
		b.mu.Lock()
		restart := b.restart
		b.restart = false
		b.mu.Unlock()
		if restart {
			b.stopProcesses()
			start := time.Now()
			err := b.startAll()
			if b.ctx.Err() != nil {
				return
			}
			b.mu.Lock()
			b.ready, b.err = err == nil, err
			b.mu.Unlock()
			if err != nil {
				b.r.logf("kubeapi: bay %s: the Kubernetes API did not start: %v", b.name, err)
				b.stopProcesses()
			} else {
				b.r.logf("kubeapi: bay %s: kube-apiserver %s ready at %s after %s", b.name, Version, b.url, time.Since(start).Round(10*time.Millisecond))
				kubelet.lastLease = time.Time{}
			}
		}
		if ok, _ := b.Ready(); ok {
			if !b.NodesSynced() {
				if err := b.syncNodes(b.ctx); err != nil && !errors.Is(err, errNodesPending) {
					report("registering nodes", err)
				}
			}
			if err := b.kubeletPass(b.ctx, kubelet); err != nil {
				report("playing the kubelets", err)
			}
		}
		select {
		case <-b.ctx.Done():
			return
		case <-b.wake:
		case <-tick.C:
		}
	}
}

func (b *bay) shutdown() {
	b.stopProcesses()
	if err := b.r.deletePrefix(b.prefix); err != nil {
		b.r.logf("kubeapi: bay %s: removing its objects from etcd: %v", b.name, err)
	}
	_ = os.RemoveAll(b.dir)
	b.r.forget(b)
}

func (b *bay) stopProcesses() {
	b.mu.Lock()
	procs := b.procs
	b.procs = nil
	b.ready = false
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(2 * time.Second) }()
	}
	wg.Wait()
}

// startAll starts kube-apiserver, waits for /readyz, then starts the
// controller manager and the scheduler.
func (b *bay) startAll() error {
	etcdURL, err := b.r.ensureEtcd()
	if err != nil {
		return err
	}
	b.mu.Lock()
	ca := b.ca
	b.mu.Unlock()
	if err := b.writeCerts(ca); err != nil {
		return err
	}
	client := &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: ca.Pool(), ServerName: "127.0.0.1"},
		},
	}
	var api *process
	var port int
	for attempt := 0; ; attempt++ {
		ports, err := freePortList(1)
		if err != nil {
			return err
		}
		port = ports[0]
		api, err = startProcess("kube-apiserver", filepath.Join(b.r.bin, "kube-apiserver"), b.apiserverArgs(etcdURL, port), b.path("kube-apiserver.log"))
		if err != nil {
			return err
		}
		b.track(api)
		base := "https://127.0.0.1:" + strconv.Itoa(port)
		err = waitFor(b.ctx, api, startTimeout, func(ctx context.Context) bool {
			return httpOK(ctx, client, base+"/readyz", b.token)
		})
		if err == nil {
			break
		}
		if attempt >= 2 || !portTaken(api) {
			return err
		}
		api.stop(time.Second)
	}
	b.mu.Lock()
	b.apiPort, b.client = port, client
	b.mu.Unlock()

	server := "https://127.0.0.1:" + strconv.Itoa(port)
	for _, kc := range []struct{ file, token string }{
		{"kube-controller-manager.kubeconfig", b.kcmToken},
		{"kube-scheduler.kubeconfig", b.schedulerToken},
	} {
		if err := writeKubeconfig(b.path(kc.file), server, b.path("ca.crt"), kc.token); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", []string{
			"--kubeconfig=" + b.path("kube-controller-manager.kubeconfig"),
			"--secure-port=0", "--leader-elect=false", "--use-service-account-credentials=true",
			"--service-account-private-key-file=" + b.path("sa.key"), "--root-ca-file=" + b.path("ca.crt"),
			"--cluster-name=" + b.name, "--service-cluster-ip-range=" + serviceCIDR,
			// No cloud here to allocate pod CIDRs or routes.
			"--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller",
			"--concurrent-deployment-syncs=2", "--concurrent-replicaset-syncs=2",
		}},
		{"kube-scheduler", []string{
			"--kubeconfig=" + b.path("kube-scheduler.kubeconfig"),
			"--secure-port=0", "--leader-elect=false",
		}},
	} {
		p, err := startProcess(c.name, filepath.Join(b.r.bin, c.name), c.args, b.path(c.name+".log"))
		if err != nil {
			return err
		}
		b.track(p)
		go b.watch(p)
	}
	return nil
}

// watch reports a component that ends while the bay still runs.
func (b *bay) watch(p *process) {
	select {
	case <-b.ctx.Done():
	case <-p.done:
		b.mu.Lock()
		current := false
		for _, q := range b.procs {
			current = current || q == p
		}
		b.mu.Unlock()
		if current && b.ctx.Err() == nil {
			b.r.logf("kubeapi: bay %s: %v", b.name, p.failure("ended"))
		}
	}
}

func (b *bay) track(p *process) {
	b.mu.Lock()
	b.procs = append(b.procs, p)
	b.mu.Unlock()
}

func (b *bay) path(name string) string { return filepath.Join(b.dir, name) }

func (b *bay) apiserverArgs(etcdURL string, port int) []string {
	var audit []string
	if b.r.auditDir != "" {
		audit = []string{
			"--audit-policy-file=" + filepath.Join(b.r.auditDir, auditPolicyFile),
			"--audit-log-path=" + filepath.Join(b.r.auditDir, strings.ReplaceAll(b.name, "/", "_")+".audit.jsonl"),
			"--audit-log-format=json", "--audit-log-mode=blocking",
		}
	}
	return append(audit, []string{
		"--etcd-servers=" + etcdURL, "--etcd-prefix=" + strings.TrimSuffix(b.prefix, "/"),
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(port),
		"--advertise-address=" + advertiseAddress,
		// The "kubernetes" Endpoints would hold a loopback address, which
		// the API refuses; Magnum's masters have real ones.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--tls-cert-file=" + b.path("apiserver.crt"), "--tls-private-key-file=" + b.path("apiserver.key"),
		"--client-ca-file=" + b.path("ca.crt"),
		"--token-auth-file=" + b.path("tokens.csv"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + b.path("sa.pub"), "--service-account-signing-key-file=" + b.path("sa.key"),
		// Magnum's Heat driver: Node,RBAC with NodeRestriction admission.
		"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true", "--profiling=false",
	}...)
}

// writeStaticFiles writes what stays the same across CA rotations: the
// token file and the service account key.
func (b *bay) writeStaticFiles() error {
	tokens := fmt.Sprintf("%s,magnum-sim,magnum-sim,\"system:masters\"\n%s,system:kube-controller-manager,kube-controller-manager\n%s,system:kube-scheduler,kube-scheduler\n",
		b.token, b.kcmToken, b.schedulerToken)
	if err := os.WriteFile(b.path("tokens.csv"), []byte(tokens), 0o600); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	if err := writePEM(b.path("sa.key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)); err != nil {
		return err
	}
	return writePEM(b.path("sa.pub"), "PUBLIC KEY", pub)
}

// writeCerts writes the CA (the client CA) and a serving certificate it
// signs for the names a Magnum master's certificate carries.
func (b *bay) writeCerts(ca *pki.CA) error {
	if err := os.WriteFile(b.path("ca.crt"), []byte(ca.CertPEM()), 0o600); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	cert, err := ca.IssueServerCert([]string{
		"127.0.0.1", "localhost", kubernetesSvcIP, advertiseAddress,
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
	}, time.Now())
	if err != nil {
		return fmt.Errorf("kubeapi: issuing the API server's certificate: %w", err)
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return errors.New("kubeapi: unexpected server key type")
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	if err := writePEM(b.path("apiserver.crt"), "CERTIFICATE", cert.Certificate[0]); err != nil {
		return err
	}
	return writePEM(b.path("apiserver.key"), "EC PRIVATE KEY", der)
}

// serveProxy forwards each connection to the API server while it is
// ready; before that a client sees its connection closed, as when nothing
// listens on a master yet.
func (b *bay) serveProxy() {
	for {
		c, err := b.proxy.Accept()
		if err != nil {
			return
		}
		go b.forward(c)
	}
}

func (b *bay) forward(c net.Conn) {
	b.mu.Lock()
	ready, port := b.ready, b.apiPort
	if ready {
		b.conns[c] = struct{}{}
	}
	b.mu.Unlock()
	if !ready {
		_ = c.Close()
		return
	}
	defer func() {
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
		_ = c.Close()
	}()
	up, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	go func() {
		_, _ = io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(c, up)
}

func writeKubeconfig(path, server, caFile, token string) error {
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: bay
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: component
  user:
    token: %s
contexts:
- name: bay
  context:
    cluster: bay
    user: component
current-context: bay
`, server, caFile, token)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	return nil
}

func writePEM(path, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	return nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
