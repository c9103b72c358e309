package kubeconfig

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func tlsParams(t testing.TB) Params {
	t.Helper()
	ca := newTestCA(t, "k8s-bay")
	certPEM, keyPEM := ca.newClient(t, time.Now().Add(365*24*time.Hour))
	return Params{
		ClusterName:   "k8s-bay",
		APIAddress:    "https://10.0.0.5:6443",
		CACertPEM:     ca.pem,
		ClientCertPEM: certPEM,
		ClientKeyPEM:  keyPEM,
	}
}

// TestRenderShape parses the output as generic YAML, the way kubectl would
// see it, and checks the layout magnumclient users rely on.
func TestRenderShape(t *testing.T) {
	t.Parallel()
	p := tlsParams(t)
	out, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Clusters   []struct {
			Name    string            `yaml:"name"`
			Cluster map[string]string `yaml:"cluster"`
		} `yaml:"clusters"`
		Contexts []struct {
			Name    string            `yaml:"name"`
			Context map[string]string `yaml:"context"`
		} `yaml:"contexts"`
		CurrentContext string `yaml:"current-context"`
		Users          []struct {
			Name string            `yaml:"name"`
			User map[string]string `yaml:"user"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("Render wrote invalid YAML: %v\n%s", err, out)
	}
	dec := func(s string) string {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("not base64: %v", err)
		}
		return string(b)
	}
	switch {
	case doc.APIVersion != "v1" || doc.Kind != "Config":
		t.Fatalf("apiVersion/kind = %q/%q", doc.APIVersion, doc.Kind)
	case len(doc.Clusters) != 1 || doc.Clusters[0].Name != "k8s-bay":
		t.Fatalf("clusters = %+v, want one named after the bay", doc.Clusters)
	case doc.Clusters[0].Cluster["server"] != p.APIAddress:
		t.Fatalf("server = %q", doc.Clusters[0].Cluster["server"])
	case dec(doc.Clusters[0].Cluster["certificate-authority-data"]) != p.CACertPEM:
		t.Fatal("certificate-authority-data is not the CA")
	case len(doc.Contexts) != 1 || doc.Contexts[0].Name != "default" ||
		doc.Contexts[0].Context["cluster"] != "k8s-bay" || doc.Contexts[0].Context["user"] != "admin":
		t.Fatalf("contexts = %+v", doc.Contexts)
	case doc.CurrentContext != "default":
		t.Fatalf("current-context = %q", doc.CurrentContext)
	case len(doc.Users) != 1 || doc.Users[0].Name != "admin":
		t.Fatalf("users = %+v", doc.Users)
	case dec(doc.Users[0].User["client-certificate-data"]) != p.ClientCertPEM ||
		dec(doc.Users[0].User["client-key-data"]) != p.ClientKeyPEM:
		t.Fatal("user credentials do not decode to the inputs")
	}
}

func TestRenderTLSDisabled(t *testing.T) {
	t.Parallel()
	out, err := Render(Params{ClusterName: "plain", APIAddress: "http://10.0.0.5:8080", TLSDisabled: true,
		// Leftover credentials must not leak into a TLS-less file.
		ClientKeyPEM: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{"certificate-authority-data", "client-key-data", "users:", "ignored"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("TLS-disabled kubeconfig contains %q:\n%s", unwanted, out)
		}
	}
	got, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{ClusterName: "plain", APIAddress: "http://10.0.0.5:8080", TLSDisabled: true}
	if got != want {
		t.Fatalf("Parse(Render) = %+v, want %+v", got, want)
	}
}

func TestRenderRoundTrip(t *testing.T) {
	t.Parallel()
	p := tlsParams(t)
	// Names YAML would otherwise read as other types must survive quoting.
	for _, name := range []string{"k8s-bay", "true", "0x10", "bay: with colon", "- dash", "ünïcode"} {
		p.ClusterName = name
		out, err := Render(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(out)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if got != p {
			t.Fatalf("%q: round trip changed params:\n got %+v\nwant %+v", name, got, p)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	good := tlsParams(t)
	other := tlsParams(t)
	cases := []struct {
		name    string
		mutate  func(*Params)
		wantErr string
	}{
		{"no name", func(p *Params) { p.ClusterName = "" }, "cluster name is empty"},
		{"no api_address yet", func(p *Params) { p.APIAddress = "" }, "no api_address"},
		{"no CA", func(p *Params) { p.CACertPEM = "" }, "CA certificate is empty"},
		{"no cert", func(p *Params) { p.ClientCertPEM = "" }, "client certificate is empty"},
		{"no key", func(p *Params) { p.ClientKeyPEM = "" }, "client key is empty"},
		{"bad CA", func(p *Params) { p.CACertPEM = "junk" }, "cluster CA certificate"},
		{"key of another cert", func(p *Params) { p.ClientKeyPEM = other.ClientKeyPEM }, "do not form a pair"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := good
			tc.mutate(&p)
			_, err := Render(p)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// magnumclientStyle is laid out the way `openstack coe cluster config` writes
// it, with hand-made indentation rather than an encoder's.
const magnumclientStyle = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://172.24.4.10:6443
  name: k8s
contexts:
- context:
    cluster: k8s
    user: admin
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
`

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		want    Params
		wantErr string
	}{
		{"magnumclient layout", magnumclientStyle,
			Params{ClusterName: "k8s", APIAddress: "https://172.24.4.10:6443", CACertPEM: "CA", ClientCertPEM: "CERT", ClientKeyPEM: "KEY"}, ""},
		{"not YAML", "{{", Params{}, "invalid YAML"},
		{"no current context", "apiVersion: v1\n", Params{}, "no current-context"},
		{"dangling context", "current-context: x\n", Params{}, `"x" is not defined`},
		{"dangling cluster", "current-context: d\ncontexts:\n- name: d\n  context: {cluster: c}\n", Params{}, `undefined cluster "c"`},
		{"dangling user", strings.Replace(magnumclientStyle, "- name: admin", "- name: other", 1), Params{}, `undefined user "admin"`},
		{"bad base64", strings.Replace(magnumclientStyle, "S0VZ", "not*base64", 1), Params{}, "client-key-data is not base64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Parse = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(magnumclientStyle)
	if out, err := Render(tlsParams(f)); err == nil {
		f.Add(out)
	}
	f.Add("current-context: d\ncontexts:\n- name: d\n  context: {cluster: c, user: u}\n")
	f.Add("clusters: [{name: a, cluster: {server: 1}}]\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		// Whatever Parse accepts with TLS off must render and read back the same.
		if p.TLSDisabled && p.ClusterName != "" && p.APIAddress != "" {
			out, err := Render(p)
			if err != nil {
				t.Fatalf("Render(%+v): %v", p, err)
			}
			again, err := Parse(out)
			if err != nil || again != p {
				t.Fatalf("round trip of %+v gave %+v, %v", p, again, err)
			}
		}
	})
}
