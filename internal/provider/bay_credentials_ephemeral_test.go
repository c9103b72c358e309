package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/kubeconfig"
)

// testAccEchoFactories adds terraform-plugin-testing's echo provider, the
// only way a test can see an ephemeral value: it copies its provider
// configuration into the state of an echo resource.
var testAccEchoFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"magnum": testAccProtoV6ProviderFactories["magnum"],
	"echo":   echoprovider.NewProviderServer(),
}

// rawStateDir makes terraform-plugin-testing create its working
// directories under a directory the test knows, so checks can read the
// state file Terraform writes, byte for byte. TF_ACC_TEMP_DIR is
// process-wide: tests calling this cannot be parallel.
func rawStateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TF_ACC_TEMP_DIR", dir)
	return dir
}

// readRawState returns the one terraform.tfstate under dir.
func readRawState(dir string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "plugintest*", "work*", "terraform.tfstate"))
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("found %d state files under %s, want 1: %v", len(files), dir, files)
	}
	return os.ReadFile(files[0])
}

// rawState is the part of Terraform's state file format the checks need.
type rawState struct {
	Resources []struct {
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			Attributes map[string]json.RawMessage `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

// splitRawState returns the echo resources' data, by name, and the state
// file with the echo resources cut out: what the provider under test wrote.
func splitRawState(raw []byte) (map[string]map[string]any, string, error) {
	var st rawState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, "", err
	}
	echoes := map[string]map[string]any{}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, "", err
	}
	var kept []any
	resources, _ := generic["resources"].([]any)
	for i, r := range st.Resources {
		if r.Type != "echo" {
			kept = append(kept, resources[i])
			continue
		}
		if len(r.Instances) != 1 {
			return nil, "", fmt.Errorf("echo.%s has %d instances", r.Name, len(r.Instances))
		}
		// A dynamic attribute is stored as {"value": ..., "type": ...}.
		var data struct {
			Value map[string]any `json:"value"`
		}
		if err := json.Unmarshal(r.Instances[0].Attributes["data"], &data); err != nil {
			return nil, "", fmt.Errorf("echo.%s data: %w", r.Name, err)
		}
		echoes[r.Name] = data.Value
	}
	generic["resources"] = kept
	rest, err := json.Marshal(generic)
	return echoes, string(rest), err
}

// checkRawState reads the state file after a step and hands the echo data
// and the rest of the file to check.
func checkRawState(dir string, check func(echoes map[string]map[string]any, rest string) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		raw, err := readRawState(dir)
		if err != nil {
			return err
		}
		echoes, rest, err := splitRawState(raw)
		if err != nil {
			return err
		}
		return check(echoes, rest)
	}
}

// onlyCACertificates fails when text holds a private key, a kubeconfig
// with client credentials, or any certificate but the given CAs: a client
// certificate means a key was signed for this state.
func onlyCACertificates(text string, cas ...string) error {
	if m := privateKeyMarkers(text); len(m) > 0 {
		return fmt.Errorf("the state holds private keys: %s", strings.Join(m, "; "))
	}
	if strings.Contains(text, "client-key-data") || strings.Contains(text, "client-certificate-data") {
		return fmt.Errorf("the state holds a kubeconfig with client credentials")
	}
	unescaped := strings.ReplaceAll(text, `\n`, "\n")
	for _, block := range regexp.MustCompile(`-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----`).FindAllString(unescaped, -1) {
		known := false
		for _, ca := range cas {
			known = known || (ca != "" && strings.TrimSpace(block) == strings.TrimSpace(ca))
		}
		if !known {
			return fmt.Errorf("the state holds a certificate other than the bays' CAs:\n%s", block)
		}
	}
	return nil
}

func sub(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// verifyClientPair checks that a certificate was signed by the CA for the
// identity kubectl and docker expect, and that the key belongs to it.
func verifyClientPair(caPEM, certPEM, keyPEM string) (*x509.Certificate, error) {
	if _, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM)); err != nil {
		return nil, fmt.Errorf("client certificate and key do not match: %w", err)
	}
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return nil, fmt.Errorf("client certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, fmt.Errorf("CA is not PEM")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("client certificate does not verify against the bay's CA: %w", err)
	}
	if cert.Subject.CommonName != "admin" || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != "system:masters" {
		return nil, fmt.Errorf("client certificate is for %s, want CN=admin, O=system:masters", cert.Subject)
	}
	return cert, nil
}

// kubectlWith runs the real kubectl, where installed, with a kubeconfig.
func kubectlWith(raw string) error {
	// Real Magnum's api_address has no Kubernetes behind it.
	if acctest.RealTarget() {
		return nil
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return nil // the kube package's own tests cover kubectl where it exists
	}
	dir, err := os.MkdirTemp("", "kubeconfig")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
	defer cancel()
	out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", path, "--request-timeout=20s", "get", "namespaces").CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl get namespaces: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "kube-system") {
		return fmt.Errorf("kubectl get namespaces did not list kube-system:\n%s", out)
	}
	return nil
}

// testAccEphemeralConfig builds a Kubernetes and a Swarm bay that keep no
// credentials in state, and feeds magnum_bay_credentials for each of sources
// to the echo provider; each echo resource keeps what it saw when created.
func testAccEphemeralConfig(provider string, sources, echoes []string) string {
	cfg := provider + `
resource "magnum_baymodel" "k8s" {
  name                = "eph-k8s-model"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "flannel"
}

resource "magnum_bay" "k8s" {
  name              = "eph-k8s"
  baymodel_id       = magnum_baymodel.k8s.id
  store_credentials = false
}

resource "magnum_baymodel" "swarm" {
  name                = "eph-swarm-model"
  coe                 = "swarm"
  image_id            = "fedora-21-atomic-5"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "docker"
}

resource "magnum_bay" "swarm" {
  name              = "eph-swarm"
  baymodel_id       = magnum_baymodel.swarm.id
  store_credentials = false
}

ephemeral "magnum_bay_credentials" "k8s" {
  id = magnum_bay.k8s.id
}

ephemeral "magnum_bay_credentials" "swarm" {
  id = magnum_bay.swarm.id
}
`
	// One echo provider configuration for everything: the in-process echo
	// provider is a single server, so aliases would overwrite each other.
	var data []string
	for _, src := range sources {
		if src == "k8s_by_name" {
			// By name only once the bay exists: Terraform opens an
			// ephemeral resource while planning when its arguments are
			// known, even if they come from a resource not yet created.
			cfg += `
ephemeral "magnum_bay_credentials" "k8s_by_name" {
  name = "eph-k8s"
}
`
		}
		data = append(data, fmt.Sprintf("    %s = ephemeral.magnum_bay_credentials.%s", src, src))
	}
	cfg += "\nprovider \"echo\" {\n  data = {\n" + strings.Join(data, "\n") + "\n  }\n}\n"
	for _, name := range echoes {
		cfg += fmt.Sprintf("\nresource \"echo\" %q {}\n", name)
	}
	return cfg
}

// TestAccBayCredentialsEphemeral_kubernetesAndSwarm opens the credentials of
// a Kubernetes and a Swarm bay, checks that they work, that every opening
// signs a new certificate, and that the state file keeps none of them.
func TestAccBayCredentialsEphemeral_kubernetesAndSwarm(t *testing.T) {
	acctest.SkipOnAPI(t, "2025.1", swarmRefusal2025, "ephemeral credentials of a swarm bay beside a kubernetes one")
	acctest.PreCheck(t)
	dir := rawStateDir(t)
	s := acctest.StartSim(t, fastBays())
	provider := acctest.ProviderBlock(s, "demo")
	signs := &signCounter{s: s}
	var first map[string]any

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0), acctest.SkipOnOpenTofu("OpenTofu 1.10 has no ephemeral resources")},
		ProtoV6ProviderFactories: testAccEchoFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				PreConfig: signs.mark,
				Config:    testAccEphemeralConfig(provider, []string{"k8s", "swarm"}, []string{"first"}),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkRawState(dir, func(echoes map[string]map[string]any, rest string) error {
						k8s, swarm := sub(echoes["first"], "k8s"), sub(echoes["first"], "swarm")
						if err := checkKubernetesCredentials(k8s); err != nil {
							return err
						}
						if err := checkSwarmCredentials(swarm); err != nil {
							return err
						}
						first = k8s
						// Nothing the provider wrote holds any of it.
						secrets := secretSet{}
						for label, e := range map[string]map[string]any{"kubernetes": k8s, "swarm": swarm} {
							secrets.add(label+" client_key", str(e, "client_key"))
							secrets.add(label+" client_certificate", str(e, "client_certificate"))
							secrets.addKubeconfig(label+" kubeconfig", str(e, "kubeconfig"))
						}
						if l := secrets.leaks(strings.ReplaceAll(rest, `\n`, "\n")); len(l) > 0 {
							return fmt.Errorf("the state outside the echo resources holds:\n%s", strings.Join(l, "\n"))
						}
						return onlyCACertificates(rest, str(k8s, "cluster_ca_certificate"), str(swarm, "cluster_ca_certificate"))
					}),
					// The bays, with store_credentials = false, sign nothing:
					// every certificate was for an opening, at least one per
					// ephemeral resource during apply.
					signs.expectBetween(2, 8),
				),
			},
			{
				// The credentials opened again, by name this time, come
				// with a certificate and key of their own.
				Config: testAccEphemeralConfig(provider, []string{"k8s", "swarm", "k8s_by_name"}, []string{"first", "second"}),
				Check: checkRawState(dir, func(echoes map[string]map[string]any, _ string) error {
					again := sub(echoes["second"], "k8s_by_name")
					if err := checkKubernetesCredentials(again); err != nil {
						return err
					}
					if str(again, "client_certificate") == str(first, "client_certificate") || str(again, "client_key") == str(first, "client_key") {
						return fmt.Errorf("a second opening returned the first one's certificate or key")
					}
					if str(again, "cluster_ca_certificate") != str(first, "cluster_ca_certificate") || str(again, "host") != str(first, "host") {
						return fmt.Errorf("a second opening returned another endpoint or CA")
					}
					return nil
				}),
			},
		},
	})
}

func checkKubernetesCredentials(e map[string]any) error {
	if e == nil {
		return fmt.Errorf("no echo of the Kubernetes credentials")
	}
	if str(e, "coe") != "kubernetes" || str(e, "name") != "eph-k8s" || str(e, "id") == "" {
		return fmt.Errorf("unexpected bay identity: coe=%q name=%q id=%q", str(e, "coe"), str(e, "name"), str(e, "id"))
	}
	if !regexp.MustCompile(`^https://127\.0\.0\.1:\d+$`).MatchString(str(e, "host")) {
		return fmt.Errorf("host = %q", str(e, "host"))
	}
	if e["docker_tls"] != nil {
		return fmt.Errorf("a Kubernetes bay got docker_tls")
	}
	ca, cert, key := str(e, "cluster_ca_certificate"), str(e, "client_certificate"), str(e, "client_key")
	c, err := verifyClientPair(ca, cert, key)
	if err != nil {
		return err
	}
	if want := c.NotAfter.UTC().Format(time.RFC3339); str(e, "client_certificate_not_after") != want {
		return fmt.Errorf("client_certificate_not_after = %q, want %q", str(e, "client_certificate_not_after"), want)
	}
	p, err := kubeconfig.Parse(str(e, "kubeconfig"))
	if err != nil {
		return err
	}
	if p.APIAddress != str(e, "host") || p.CACertPEM != ca || p.ClientCertPEM != cert || p.ClientKeyPEM != key {
		return fmt.Errorf("the kubeconfig does not carry the same host, CA, certificate and key as the attributes")
	}
	return kubectlWith(str(e, "kubeconfig"))
}

func checkSwarmCredentials(e map[string]any) error {
	if e == nil {
		return fmt.Errorf("no echo of the Swarm credentials")
	}
	if str(e, "coe") != "swarm" || str(e, "name") != "eph-swarm" {
		return fmt.Errorf("unexpected bay identity: coe=%q name=%q", str(e, "coe"), str(e, "name"))
	}
	if e["kubeconfig"] != nil {
		return fmt.Errorf("a Swarm bay got a kubeconfig")
	}
	d, _ := e["docker_tls"].(map[string]any)
	if d == nil {
		return fmt.Errorf("a Swarm bay got no docker_tls")
	}
	if str(d, "docker_host") != str(e, "host") || !strings.HasPrefix(str(d, "docker_host"), "tcp://") {
		return fmt.Errorf("docker_host = %q, host = %q", str(d, "docker_host"), str(e, "host"))
	}
	if v, _ := d["tls_verify"].(bool); !v {
		return fmt.Errorf("tls_verify is not true")
	}
	if str(d, "ca_pem") != str(e, "cluster_ca_certificate") || str(d, "cert_pem") != str(e, "client_certificate") || str(d, "key_pem") != str(e, "client_key") {
		return fmt.Errorf("docker_tls does not carry the same CA, certificate and key as the attributes")
	}
	_, err := verifyClientPair(str(d, "ca_pem"), str(d, "cert_pem"), str(d, "key_pem"))
	return err
}

// TestAccBayCredentialsEphemeral_errors covers what a user sees when the
// credentials cannot be had.
func TestAccBayCredentialsEphemeral_errors(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, fastBays())
	provider := acctest.ProviderBlock(s, "demo")
	echo := func(body string) string {
		return provider + `
ephemeral "magnum_bay_credentials" "test" {
  ` + body + `
}

provider "echo" {
  data = ephemeral.magnum_bay_credentials.test
}

resource "echo" "test" {}
`
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0), acctest.SkipOnOpenTofu("OpenTofu 1.10 has no ephemeral resources")},
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{
			{Config: echo(`name = "no-such-bay"`), ExpectError: errRegexp(`Error reading bay "no-such-bay"`, `Cluster no-such-bay could not be found`, `id = magnum_bay.`)},
			{Config: echo(``), ExpectError: errRegexp(`Exactly one of these attributes must be configured: [id,name]`)},
			{Config: echo(`
  id   = "6b1c0a3e-1d2f-4a5b-8c7d-9e0f1a2b3c4d"
  name = "both"`), ExpectError: errRegexp(`Exactly one of these attributes must be configured: [id,name]`)},
		},
	})
}
