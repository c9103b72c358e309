package provider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// secretSet collects the values a test must never find in a log or state
// file, labelled so a failure says which kind leaked without printing it.
type secretSet map[string]string

func (s secretSet) add(label, value string) {
	if strings.TrimSpace(value) != "" {
		s[value] = label
	}
}

// addKubeconfig records a rendered kubeconfig and, separately, its base64
// key data: a log that re-encodes the file would show only that.
func (s secretSet) addKubeconfig(label, raw string) {
	s.add(label, raw)
	for _, m := range regexp.MustCompile(`client-key-data:\s*(\S+)`).FindAllStringSubmatch(raw, -1) {
		s.add(label+" client-key-data", m[1])
	}
}

// leaks reports every collected secret found in text, with the start of
// the first line that holds it and the secret itself replaced by its label,
// so the failure shows who logged it without logging it again.
func (s secretSet) leaks(text string) []string {
	var out []string
	for v, label := range s {
		i := strings.Index(text, v)
		if i < 0 {
			continue
		}
		start := strings.LastIndexByte(text[:i], '\n') + 1
		end := strings.IndexByte(text[i:], '\n')
		if end < 0 {
			end = len(text) - i
		}
		line := strings.ReplaceAll(text[start:i+end], v, "<"+label+">")
		if len(line) > 400 {
			line = line[:400] + "..."
		}
		out = append(out, fmt.Sprintf("%s, first in: %s", label, line))
	}
	sort.Strings(out)
	return out
}

// encodedPEMBlock matches a base64-encoded PEM block ("-----BEGIN" encodes to
// "LS0tLS1CRUdJTi"), the form kubeconfigs carry keys in.
var encodedPEMBlock = regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/]{16,}={0,2}`)

// privateKeyMarkers finds private keys in text, plain or base64-encoded.
func privateKeyMarkers(text string) []string {
	var out []string
	if i := strings.Index(text, "PRIVATE KEY"); i >= 0 {
		out = append(out, fmt.Sprintf("PEM private key at offset %d", i))
	}
	encoded := 0
	for _, m := range encodedPEMBlock.FindAllString(text, -1) {
		dec, err := base64.StdEncoding.DecodeString(m[:len(m)/4*4])
		if err == nil && strings.Contains(string(dec), "PRIVATE KEY") {
			encoded++
		}
	}
	if encoded > 0 {
		out = append(out, fmt.Sprintf("%d base64-encoded private keys", encoded))
	}
	return out
}

// collectStateSecrets records the client credentials the resources and data
// sources hold, as a step's Check.
func collectStateSecrets(secrets secretSet, addresses ...string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		for _, addr := range addresses {
			rs, ok := st.RootModule().Resources[addr]
			if !ok {
				return fmt.Errorf("%s not in state", addr)
			}
			a := rs.Primary.Attributes
			secrets.add(addr+" kubeconfig.client_key", a["kubeconfig.client_key"])
			secrets.addKubeconfig(addr+" kubeconfig.raw_config", a["kubeconfig.raw_config"])
			secrets.add(addr+" docker_tls.key_pem", a["docker_tls.key_pem"])
			if a["kubeconfig.client_key"] == "" && a["docker_tls.key_pem"] == "" {
				return fmt.Errorf("%s holds no client key, so the test would prove nothing about keys", addr)
			}
		}
		return nil
	}
}

// writeClientCertPair writes a TLS client certificate and key for the
// provider's cert and key arguments. The simulator speaks plain HTTP, so the
// pair is loaded but never presented; what matters is that its key, read by
// the provider, stays out of the log.
func writeClientCertPair(t *testing.T) (certFile, keyFile, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "terraform"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, keyPEM)
	return certFile, keyFile, keyPEM
}

// captureTraceLog sends Terraform's and the in-process provider's logs, at
// TRACE, to one file for the rest of the test. terraform-plugin-testing
// reads TF_ACC_LOG_PATH both for the terraform commands it runs and for the
// log sink of the providers it serves in-process, so both end up there.
// The variables are process-wide: tests calling this cannot be parallel.
func captureTraceLog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "terraform-trace.log")
	t.Setenv("TF_ACC_LOG_PATH", path)
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	for _, v := range []string{"TF_LOG_PATH_MASK", "TF_LOG_CORE", "TF_LOG_PROVIDER", "TF_LOG_SDK_PROTO_DATA_DIR"} {
		t.Setenv(v, "")
	}
	// The test harness logs each step's configuration, secrets and all;
	// users never run it, so its lines would only hide real leaks.
	t.Setenv("TF_LOG_SDK_HELPER_RESOURCE", "OFF")
	return path
}

// testAccSecretsConfig has three providers, one per authentication method,
// each managing a bay of its own; the token one builds a Swarm bay, so
// docker_tls is covered too. Every bay is looked up by a data source that
// signs credentials: the password one's through a second provider of the
// same user without the TLS client pair (Magnum signs only for a bay's
// creator), the others through their own.
//
// The providers have local names of their own, not aliases of "magnum":
// terraform-plugin-testing serves each provider name from one in-process
// server, and Terraform configures every alias on that one server, whose
// last ConfigureProvider wins for all of them (and races the others under
// -race). Each name is a server of its own, as each alias is a process of
// its own under a real terraform.
func testAccSecretsConfig(pw, appcred, tok string, nodes int) string {
	return pw + appcred + tok + fmt.Sprintf(`
resource "magnum_baymodel" "pw" {
  name                = "secrets-pw-model"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "flannel"
}

resource "magnum_bay" "pw" {
  name        = "secrets-pw"
  baymodel_id = magnum_baymodel.pw.id
  node_count  = %[1]d
}

resource "magnum_baymodel" "ac" {
  provider            = magnumappcred
  name                = "secrets-ac-model"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "flannel"
}

resource "magnum_bay" "ac" {
  provider    = magnumappcred
  name        = "secrets-ac"
  baymodel_id = magnum_baymodel.ac.id
  node_count  = %[1]d
}

resource "magnum_baymodel" "tok" {
  provider            = magnumtoken
  name                = "secrets-tok-model"
  coe                 = "swarm"
  image_id            = "fedora-21-atomic-5"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "docker"
}

resource "magnum_bay" "tok" {
  provider    = magnumtoken
  name        = "secrets-tok"
  baymodel_id = magnum_baymodel.tok.id
  node_count  = %[1]d
}

data "magnum_bay" "pw" {
  provider            = magnumlookup
  id                  = magnum_bay.pw.id
  include_credentials = true
}

data "magnum_bay" "ac" {
  provider            = magnumappcred
  name                = magnum_bay.ac.name
  include_credentials = true
}

data "magnum_bay" "tok" {
  provider            = magnumtoken
  id                  = magnum_bay.tok.id
  include_credentials = true
}

data "magnum_baymodel" "tok" {
  provider = magnumtoken
  name     = magnum_baymodel.tok.name
}

ephemeral "magnum_bay_credentials" "pw" {
  provider = magnumlookup
  id       = magnum_bay.pw.id
}

ephemeral "magnum_bay_credentials" "tok" {
  provider = magnumtoken
  id       = magnum_bay.tok.id
}

# Only values that stay the same from one opening to the next, so the echo
# resource plans no change.
provider "echo" {
  data = {
    host      = ephemeral.magnum_bay_credentials.pw.host
    has_key   = strcontains(ephemeral.magnum_bay_credentials.pw.kubeconfig, "client-key-data")
    swarm_key = strcontains(ephemeral.magnum_bay_credentials.tok.docker_tls.key_pem, "PRIVATE KEY")
  }
}

resource "echo" "creds" {}
`, nodes)
}

// TestAccSecrets_traceLogHoldsNoSecrets runs the usual lifecycle (baymodels
// and bays created, refreshed, resized, looked up with credentials and
// destroyed) under providers configured with a password, an application
// credential and a token, with Terraform and the provider logging at TRACE,
// and then searches the log for every secret the run handled.
func TestAccSecrets_traceLogHoldsNoSecrets(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "bays created with an application credential: the real stack's Keystone refuses their trusts (TestAccBay_applicationCredentialTrustRefused covers that); here the simulator plays a Keystone that allows them")
	acctest.PreCheck(t)
	clearOSEnv(t)
	logPath := captureTraceLog(t)
	opts := fastBays()
	opts.AppCredTrusts = true
	s := acctest.StartSim(t, opts)
	// The simulator's stock password is the word "secret", which a log
	// holds anyway (application_credential_secret); use one that cannot.
	// The three providers that make bays are three users (demo2, demo's
	// application credential, alt's token), so the simulator's log tells
	// which one made each bay.
	mustSim(t, s.SetPassword("demo2", "pw-"+rand.Text()))
	pwUser, c := s.Credentials("demo2"), s.Credentials("demo")
	certFile, keyFile, mtlsKey := writeClientCertPair(t)
	alt := s.Credentials("alt")
	userToken := issueToken(t, s, "alt")

	pw := passwordAttrs(pwUser, pwUser.AuthURL)
	pw["cert"], pw["key"] = certFile, keyFile
	providers := providerBlockAt(pw)
	providers += namedProviderBlock("magnumlookup", passwordAttrs(pwUser, pwUser.AuthURL))
	providers += namedProviderBlock("magnumappcred", map[string]string{
		"auth_url": c.AuthURL, "region": c.Region,
		"application_credential_id": c.AppCredID, "application_credential_secret": c.AppCredSecret,
	})
	providers += namedProviderBlock("magnumtoken", map[string]string{
		"auth_url": alt.AuthURL, "region": alt.Region, "token": userToken,
		"project_name": alt.ProjectName, "project_domain_name": alt.ProjectDomainName,
	})

	secrets := secretSet{}
	secrets.add("password", pwUser.Password)
	secrets.add("application credential secret", c.AppCredSecret)
	secrets.add("the provider's TLS client key", mtlsKey)
	stateSecrets := collectStateSecrets(secrets,
		"magnum_bay.pw", "magnum_bay.ac", "magnum_bay.tok",
		"data.magnum_bay.pw", "data.magnum_bay.ac", "data.magnum_bay.tok")

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0), acctest.SkipOnOpenTofu("OpenTofu 1.10 has no ephemeral resources")},
		ProtoV6ProviderFactories: testAccSecretsFactories(),
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: testAccSecretsConfig(providers, "", "", 1), Check: resource.ComposeTestCheckFunc(stateSecrets,
				// password, application credential (user demo), token
				checkBayPostsBy(s, map[string]int{pwUser.UserName: 1, c.UserName: 1, alt.UserName: 1}))},
			{RefreshState: true, Check: stateSecrets},
			{Config: testAccSecretsConfig(providers, "", "", 2), Check: stateSecrets},
		},
	})
	if t.Failed() {
		return
	}

	tokens := s.IssuedTokens()
	if len(tokens) < 3 {
		t.Fatalf("the simulator issued %d tokens; expected one per provider at least", len(tokens))
	}
	for i, tok := range tokens {
		secrets.add(fmt.Sprintf("Keystone token #%d", i+1), tok)
	}

	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the trace log: %v", err)
	}
	log := string(raw)
	// The log must show the run, or finding nothing in it proves nothing.
	// hclog writes fields in no fixed order, so each line is matched by
	// several patterns.
	for _, want := range [][]string{
		{`\[INFO\]  CLI args: .*"apply"`}, // Terraform's own lines
		{`\[INFO\]  CLI args: .*"destroy"`},
		{`OpenStack API request`, `http_method=POST`, `http_url=\S+/identity/v3/auth/tokens\b`, `http_status=201`},
		{`OpenStack API request`, `http_method=POST`, `http_url=\S+/container-infra/v1/clustertemplates\b`},
		{`OpenStack API request`, `http_method=POST`, `http_url=\S+/container-infra/v1/clusters\b`, `http_status=202`},
		{`OpenStack API request`, `http_method=POST`, `http_url=\S+/container-infra/v1/certificates\b`, `request_id=req-`},
		{`OpenStack API request`, `http_method=POST`, `http_url=\S+/container-infra/v1/clusters/\S+/actions/resize\b`},
		{`OpenStack API request`, `http_method=DELETE`, `http_url=\S+/container-infra/v1/clusters/`},
		{`OpenStack API request`, `tf_rpc=OpenEphemeralResource`, `http_url=\S+/container-infra/v1/certificates\b`},
		{`Authenticating to OpenStack`, `auth_method=password`},
		{`Authenticating to OpenStack`, `auth_method="application credential"`},
		{`Authenticating to OpenStack`, `auth_method=token`},
		{`signing a new client certificate`, `tf_resource_type=magnum_bay\b`},
		{`signing a client certificate for ephemeral bay credentials`},
	} {
		if !logHasLine(log, want...) {
			t.Errorf("the trace log (%d bytes) has no line matching all of %q", len(raw), want)
		}
	}
	if l := secrets.leaks(log); len(l) > 0 {
		t.Errorf("the trace log holds secrets:\n%s", strings.Join(l, "\n"))
	}
	if m := privateKeyMarkers(log); len(m) > 0 {
		t.Errorf("the trace log holds private keys: %s", strings.Join(m, "; "))
	}
}

// testAccSecretsFactories serves the provider under four local names, one
// in-process server each (see testAccSecretsConfig), and the echo provider.
func testAccSecretsFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	f := map[string]func() (tfprotov6.ProviderServer, error){"echo": echoprovider.NewProviderServer()}
	for _, name := range []string{"magnum", "magnumlookup", "magnumappcred", "magnumtoken"} {
		f[name] = providerserver.NewProtocol6WithError(newTestProvider())
	}
	return f
}

// checkBayPostsBy asserts how many bay creates Magnum accepted from each
// user: the proof that each provider configuration made its own bay.
func checkBayPostsBy(s *sim.Sim, want map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := map[string]int{}
		for _, r := range s.Requests() {
			if r.Method == http.MethodPost && r.Path == "/container-infra/v1/clusters" && r.Status == http.StatusAccepted {
				got[r.User]++
			}
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("bay creates accepted per user: %v, want %v", got, want)
		}
		return nil
	}
}

// logHasLine reports whether one line of log matches every pattern.
func logHasLine(log string, patterns ...string) bool {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, re := range res {
			if !re.MatchString(line) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
