package acctest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/kubeconfig"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// The hand-off tests give a bay to HashiCorp's kubernetes and helm providers
// as a user's configuration would. They need the real Kubernetes API behind
// the bay (`make kube-bins`) and the two providers in a filesystem mirror
// (`make handoff-providers`); `make testacc-kube` builds both.

// Versions of HashiCorp's providers the hand-off tests use: the only ones
// the Go module proxy serves here.
const (
	KubernetesProviderVersion = "1.13.4"
	HelmProviderVersion       = "1.3.2"
)

// RequireKubeEnv is set where the hand-off tests must run (CI, make
// testacc-kube): what they need missing is then a failure, not a skip.
const RequireKubeEnv = "MAGNUM_REQUIRE_KUBE_BINS"

// HandoffMirror is where scripts/handoff-providers.sh puts the providers:
// $MAGNUM_HANDOFF_PROVIDERS, else the user cache directory.
func HandoffMirror() string {
	if d := os.Getenv("MAGNUM_HANDOFF_PROVIDERS"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "terraform-provider-magnum", "handoff-providers")
}

func handoffMissing() error {
	if err := kubeapi.FindBinaries(kubeapi.DefaultBinDir()); err != nil {
		return err
	}
	mirror := HandoffMirror()
	platform := runtime.GOOS + "_" + runtime.GOARCH
	for name, v := range map[string]string{"kubernetes": KubernetesProviderVersion, "helm": HelmProviderVersion} {
		p := filepath.Join(mirror, "registry.terraform.io", "hashicorp", name, v, platform, "terraform-provider-"+name+"_v"+v)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("terraform-provider-%s %s is not in %s: run `make handoff-providers`", name, v, mirror)
		}
	}
	return nil
}

// RequireKube skips a test that needs the real Kubernetes API and
// HashiCorp's providers when they are not built, or fails it under
// MAGNUM_REQUIRE_KUBE_BINS. It also skips against a real Magnum, whose
// bays have no reachable Kubernetes.
func RequireKube(t *testing.T) {
	t.Helper()
	SkipUnlessSimulator(t, "a Kubernetes API behind the bay")
	if err := handoffMissing(); err != nil {
		if os.Getenv(RequireKubeEnv) != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// HandoffCLIConfig writes a Terraform CLI configuration that installs the
// kubernetes and helm providers from the mirror and returns its path.
// magnumSource, when set, is a second mirror holding this provider.
func HandoffCLIConfig(t *testing.T, extraMirror string, extraInclude ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	if extraMirror != "" {
		fmt.Fprintf(&b, "  filesystem_mirror {\n    path    = %q\n    include = %s\n  }\n", extraMirror, hclList(extraInclude))
	}
	fmt.Fprintf(&b, "  filesystem_mirror {\n    path    = %q\n    include = [\"registry.terraform.io/hashicorp/kubernetes\", \"registry.terraform.io/hashicorp/helm\"]\n  }\n", HandoffMirror())
	b.WriteString("}\n")
	path := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func hclList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// KubeClient talks to a bay's Kubernetes API with a client certificate
// Magnum signed, as `openstack coe cluster config` sets kubectl up.
type KubeClient struct {
	Host string
	http *http.Client
}

// BayKubeClient signs a certificate for commonName/organization through
// Magnum's certificate API and returns a client for the bay's api_address.
func BayKubeClient(t testing.TB, mc *magnum.Client, bayID, commonName, organization string) *KubeClient {
	t.Helper()
	ctx := context.Background()
	cl, err := mc.GetCluster(ctx, bayID)
	if err != nil {
		t.Fatalf("reading bay %s: %v", bayID, err)
	}
	caPEM, err := mc.GetCA(ctx, bayID, "")
	if err != nil {
		t.Fatalf("bay CA: %v", err)
	}
	key, keyPEM, err := kubeconfig.NewKey("")
	if err != nil {
		t.Fatal(err)
	}
	csr, err := kubeconfig.NewCSR(key, commonName, organization)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := mc.SignCertificate(ctx, bayID, csr)
	if err != nil {
		t.Fatalf("signing a certificate for %s: %v", commonName, err)
	}
	return NewKubeClient(t, cl.APIAddress, caPEM, certPEM, keyPEM)
}

// NewKubeClient is a client for host with the given PEM material.
func NewKubeClient(t testing.TB, host, caPEM, certPEM, keyPEM string) *KubeClient {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatal("no CA certificate")
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return &KubeClient{Host: host, http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{pair}},
	}}}
}

// Get GETs path and decodes a JSON answer; it returns the status code.
func (k *KubeClient) Get(path string) (int, map[string]any, error) {
	resp, err := k.http.Get(k.Host + path)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out, nil
}

// Object GETs path and fails unless it answers 200.
func (k *KubeClient) Object(path string) (map[string]any, error) {
	code, obj, err := k.Get(path)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %v", path, code, obj["message"])
	}
	return obj, nil
}
