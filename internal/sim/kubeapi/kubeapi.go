// Package kubeapi gives each simulated bay its Kubernetes API, behind the
// small interface the bay lifecycle uses: start one for a bay, tell it the
// bay's nodes, rotate its CA, stop it.
//
// Two backends implement it:
//
//   - Real runs a real control plane per bay: kube-apiserver v1.32.3 with
//     kube-controller-manager and kube-scheduler, on one etcd per simulator
//     under a key prefix per bay; the simulator plays the kubelets
//     (kubelet.go), so a Deployment's pods become Running and Ready. The bay's Magnum CA is the API
//     server's client CA and signs its serving certificate, so a kubeconfig
//     built from Magnum's certificate API is checked by Kubernetes' own code.
//     The binaries come from `make kube-bins` (scripts/kube-bins.sh).
//   - Fake is the hand-written API of package kube (version, discovery,
//     namespaces, nodes): no processes, microseconds per bay, for tests that
//     run hundreds of bays.
package kubeapi

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// Modes a simulator can be told to use.
const (
	// ModeFake is the hand-written API.
	ModeFake = "fake"
	// ModeReal is the real control plane; starting fails without binaries.
	ModeReal = "real"
	// ModeAuto is the real control plane when its binaries are installed,
	// else the hand-written API.
	ModeAuto = "auto"
)

// Version is the Kubernetes release scripts/kube-bins.sh builds.
const Version = "v1.32.3"

// Binaries are the programs the real backend runs, all found in one
// directory.
var Binaries = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}

// Node is one of a bay's servers as its Kubernetes API shows it.
type Node struct {
	Name string
	// InternalIP is the server's fixed address; ExternalIP its floating
	// address, empty when it has none.
	InternalIP, ExternalIP string
	Labels                 map[string]string
	Taints                 []Taint
	// KubeletVersion is what the node's kubelet reports: the bay's
	// coe_version.
	KubeletVersion string
	// CPU (cores) and MemoryMiB are the flavor's size.
	CPU       int
	MemoryMiB int
}

// Taint is a node taint, e.g. node-role.kubernetes.io/master:NoSchedule.
type Taint struct {
	Key, Value, Effect string
}

// Endpoint is one bay's Kubernetes API.
type Endpoint interface {
	// URL is the endpoint for a kubeconfig, https://127.0.0.1:PORT. It is
	// known as soon as Start returns.
	URL() string
	// Ready reports whether the API serves requests, and the error that
	// stopped it from starting, if any. It never blocks.
	Ready() (bool, error)
	// SetVersion records the bay's Kubernetes version (coe_version). The
	// hand-written API reports it on /version; a real API server reports
	// the version it was built as.
	SetVersion(gitVersion string)
	// SetNodes makes the Node objects those of nodes: missing ones are
	// registered, others deleted. It never blocks; NodesSynced tells when
	// the API shows them.
	SetNodes(nodes []Node)
	// NodesSynced reports whether the API shows the last SetNodes.
	NodesSynced() bool
	// RotateCA switches the endpoint to a new CA: a new serving
	// certificate, client certificates of the old CA refused, open
	// connections closed.
	RotateCA(ca *pki.CA) error
	// Close stops the endpoint and everything it started.
	Close() error
}

// Backend starts the endpoints of a simulator's bays.
type Backend interface {
	// Start starts the API of one bay, named for logs and errors.
	Start(bayName string, ca *pki.CA) (Endpoint, error)
	// Describe says which API bays get, for the simulator's log.
	Describe() string
	// Mode is ModeReal or ModeFake.
	Mode() string
	// Close stops every endpoint still running and what they share.
	Close() error
}

// DefaultBinDir is where scripts/kube-bins.sh caches the binaries:
// $MAGNUM_KUBE_BINS, else $XDG_CACHE_HOME (or ~/.cache) under
// terraform-provider-magnum/kube-v1.32.3.
func DefaultBinDir() string {
	if d := os.Getenv("MAGNUM_KUBE_BINS"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "terraform-provider-magnum", "kube-"+Version)
}

// FindBinaries checks that dir holds every program of Binaries.
func FindBinaries(dir string) error {
	if dir == "" {
		return fmt.Errorf("no directory for the Kubernetes binaries: set MAGNUM_KUBE_BINS or run `make kube-bins`")
	}
	for _, b := range Binaries {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not in %s: run `make kube-bins` to build the real Kubernetes API (a few minutes, once per machine)", b, dir)
		}
	}
	return nil
}

// Options configure New.
type Options struct {
	// Mode is ModeFake (default), ModeReal or ModeAuto.
	Mode string
	// BinDir holds the real binaries; DefaultBinDir() when empty.
	BinDir string
	// Logf receives what the backend wants the simulator's log to say: which
	// API bays get, and any bay whose API fails.
	Logf func(format string, args ...any)
	// AuditDir, with the real backend, makes every bay's kube-apiserver
	// write an audit log there, <bay name>.audit.jsonl (AuditPolicy says
	// what it holds), to record what a client such as a Cluster API driver
	// asked for.
	AuditDir string
}

// New picks the backend opts ask for.
func New(opts Options) (Backend, error) {
	dir := opts.BinDir
	if dir == "" {
		dir = DefaultBinDir()
	}
	switch opts.Mode {
	case "", ModeFake:
		return Fake{}, nil
	case ModeAuto:
		if FindBinaries(dir) != nil {
			return Fake{}, nil
		}
	case ModeReal:
		if err := FindBinaries(dir); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown Kubernetes API mode %q: want %s, %s or %s", opts.Mode, ModeAuto, ModeReal, ModeFake)
	}
	return newReal(dir, opts.Logf, opts.AuditDir)
}
