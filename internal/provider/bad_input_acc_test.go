package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// badInput is one invalid configuration. Those caught before the provider
// talks to the cloud (schema validators, cross-attribute checks, and the
// provider settings Configure rejects before it logs in) must send the
// simulator nothing; the rest are refused by Keystone or Magnum, and must
// still leave nothing behind.
type badInput struct {
	name string
	// config is the configuration after the provider block, or with
	// ownProvider the whole of it.
	config      func(s *sim.Sim) string
	ownProvider bool
	// beforeAPI marks inputs caught before any request.
	beforeAPI bool
	// want are literal parts of the error, in order; the first names the
	// attribute or setting.
	want []string
	// heatOnly says why the input is bad only for the Heat driver: the
	// case skips on the capi target, whose driver builds the bay.
	heatOnly string
}

// baymodelWith is a valid baymodel with attrs added, or replacing coe or
// image_id when attrs sets them.
func baymodelWith(attrs string) func(*sim.Sim) string {
	return func(*sim.Sim) string {
		body := attrs
		for _, def := range []string{`coe = "kubernetes"`, `image_id = "fedora-coreos-35"`} {
			key, _, _ := strings.Cut(def, " ")
			if !strings.HasPrefix(attrs, key+" ") {
				body = def + "\n  " + body
			}
		}
		return "resource \"magnum_baymodel\" \"test\" {\n  " + body + "\n}\n"
	}
}

func bayWith(attrs string) func(*sim.Sim) string {
	return func(*sim.Sim) string {
		return "resource \"magnum_bay\" \"test\" {\n  baymodel_id = \"any\"\n  " + attrs + "\n}\n"
	}
}

// bayOnRealModel creates a real baymodel in the simulator first, for
// inputs only Magnum can judge.
func bayOnRealModel(attrs string) func(*sim.Sim) string {
	return func(s *sim.Sim) string {
		return testAccBayConfig("badbay", 1, attrs)
	}
}

func providerWith(project string, extra ...string) func(*sim.Sim) string {
	return func(s *sim.Sim) string { return acctest.ProviderBlock(s, project, extra...) + lookupBaymodel }
}

func providerAttrs(edit func(map[string]string)) func(*sim.Sim) string {
	return func(s *sim.Sim) string {
		a := passwordAttrs(s.Credentials("demo"), s.AuthURL())
		edit(a)
		return providerBlockAt(a) + lookupBaymodel
	}
}

const lookupBaymodel = "data \"magnum_baymodel\" \"x\" {\n  name = \"anything\"\n}\n"

func badInputs(t *testing.T) []badInput {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := func(n int) string { return "a" + strings.Repeat("b", n-1) }
	return []badInput{
		// Provider settings.
		{name: "endpoint_type not an interface", config: providerWith("demo", `endpoint_type = "private"`), ownProvider: true, beforeAPI: true,
			want: []string{"endpoint_type value must be one of", `got: "private"`}},
		{name: "max_microversion of another major", config: providerWith("demo", `max_microversion = "2.1"`), ownProvider: true, beforeAPI: true,
			want: []string{"max_microversion", "must be a Magnum microversion such as 1.10"}},
		{name: "max_microversion latest in the block", config: providerWith("demo", `max_microversion = "latest"`), ownProvider: true, beforeAPI: true,
			want: []string{"max_microversion", "must be a Magnum microversion"}},
		{name: "endpoint_overrides for an unknown service", config: providerWith("demo", `endpoint_overrides = { compute = "http://127.0.0.1:1/" }`), ownProvider: true, beforeAPI: true,
			want: []string{"endpoint_overrides", `"container-infra"`, `"orchestration"`}},
		{name: "endpoint_overrides not a URL", config: providerWith("demo", `endpoint_overrides = { container-infra = "magnum.example.com" }`), ownProvider: true, beforeAPI: true,
			want: []string{"Invalid endpoint URL", `"magnum.example.com" is not usable as an endpoint`}},
		{name: "api_timeout zero", config: providerWith("demo", `api_timeout = 0`), ownProvider: true, beforeAPI: true,
			want: []string{"api_timeout value must be between 1 and 3600"}},
		{name: "user_name and user_id", config: providerWith("demo", `user_id = "d3a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5"`), ownProvider: true, beforeAPI: true,
			want: []string{"user_name", `"user_id"`, "cannot be specified when"}},
		{name: "password and token", config: providerWith("demo", `token = "gAAAAB"`), ownProvider: true, beforeAPI: true,
			want: []string{"Invalid Attribute Combination", "token"}},
		{name: "application credential by id and by name", config: providerAttrs(func(a map[string]string) {
			for _, k := range []string{"password", "user_name", "project_name", "project_domain_name"} {
				delete(a, k)
			}
			a["application_credential_id"], a["application_credential_name"], a["application_credential_secret"] = "x", "y", "z"
		}), ownProvider: true, beforeAPI: true, want: []string{"Invalid Attribute Combination", "cannot be configured together", "application_credential_id,application_credential_name"}},
		{name: "domain_name and domain_id", config: providerWith("demo", `domain_name = "Default"`, `domain_id = "default"`), ownProvider: true, beforeAPI: true,
			want: []string{"domain_name", `"domain_id"`, "cannot be specified when"}},
		{name: "cert without key", config: providerWith("demo", `cert = "/nonexistent/client.pem"`), ownProvider: true, beforeAPI: true,
			want: []string{"Client certificate without key", "cert (OS_CERT)", "key (OS_KEY)"}},
		{name: "cacert_file that does not exist", config: providerWith("demo", `cacert_file = "/nonexistent/ca.pem"`), ownProvider: true, beforeAPI: true,
			want: []string{"Cannot read CA certificate file", "cacert_file or OS_CACERT"}},
		{name: "cacert_file without a certificate", config: providerWith("demo", fmt.Sprintf("cacert_file = %q", notPEM)), ownProvider: true, beforeAPI: true,
			want: []string{"Invalid CA certificate file", "cacert_file or OS_CACERT", "holds no PEM certificate"}},
		{name: "user without a domain", config: providerAttrs(func(a map[string]string) { delete(a, "user_domain_name") }), ownProvider: true, beforeAPI: true,
			want: []string{"Incomplete OpenStack credentials", "user_domain_name (OS_USER_DOMAIN_NAME)"}},
		{name: "password without a project", config: providerAttrs(func(a map[string]string) { delete(a, "project_name") }), ownProvider: true, beforeAPI: true,
			want: []string{"Incomplete OpenStack credentials", "project_name (OS_PROJECT_NAME or OS_TENANT_NAME)"}},
		{name: "no auth_url", config: providerAttrs(func(a map[string]string) { delete(a, "auth_url") }), ownProvider: true, beforeAPI: true,
			want: []string{"Incomplete OpenStack credentials", "auth_url (OS_AUTH_URL)"}},
		{name: "unreachable auth_url", config: func(s *sim.Sim) string {
			return providerBlockAt(passwordAttrs(s.Credentials("demo"), acctest.UnreachableURL(t)+"/identity/v3")) + lookupBaymodel
		}, ownProvider: true, beforeAPI: true, want: []string{"OpenStack authentication failed", "Could not reach Keystone at http://127.0.0.1:", "connection refused"}},
		{name: "auth_url of Magnum, not Keystone", config: func(s *sim.Sim) string {
			return providerBlockAt(passwordAttrs(s.Credentials("demo"), s.URL()+"/container-infra/v1")) + lookupBaymodel
		}, ownProvider: true, want: []string{"OpenStack authentication failed", "/container-infra/v1", "answers like Magnum's API (container-infra), not Keystone",
			"Set auth_url (OS_AUTH_URL) to the identity endpoint"}},
		{name: "wrong password", config: providerAttrs(func(a map[string]string) { a["password"] = "wrong" }), ownProvider: true,
			want: []string{"OpenStack authentication failed", "answered HTTP 401"}},

		// Baymodel arguments.
		{name: "baymodel coe not an engine", config: baymodelWith(`coe = "nomad"`), beforeAPI: true, want: []string{"coe value must be one of"}},
		{name: "baymodel apiserver_port below 1024", config: baymodelWith(`apiserver_port = 80`), beforeAPI: true,
			want: []string{"apiserver_port value must be between 1024 and 65535"}},
		{name: "baymodel apiserver_port above 65535", config: baymodelWith(`apiserver_port = 70000`), beforeAPI: true,
			want: []string{"apiserver_port value must be between 1024 and 65535"}},
		{name: "baymodel network_driver not a driver", config: baymodelWith(`network_driver = "weave"`), beforeAPI: true,
			want: []string{"network_driver value must be one of"}},
		{name: "baymodel network_driver of another engine", config: baymodelWith(`network_driver = "docker"`), beforeAPI: true,
			want: []string{`network_driver "docker" cannot be used with coe "kubernetes"`}},
		{name: "baymodel docker_storage_driver not a driver", config: baymodelWith(`docker_storage_driver = "zfs"`), beforeAPI: true,
			want: []string{"docker_storage_driver value must be one of"}},
		{name: "baymodel volume_driver not a driver", config: baymodelWith(`volume_driver = "nfs"`), beforeAPI: true,
			want: []string{"volume_driver value must be one of"}},
		{name: "baymodel dns_nameserver with a name", config: baymodelWith(`dns_nameserver = "8.8.8.8,nameserver"`), beforeAPI: true,
			want: []string{"dns_nameserver", `"nameserver" is not an IP address`}},
		{name: "baymodel dns_nameserver empty", config: baymodelWith(`dns_nameserver = ""`), beforeAPI: true,
			want: []string{"dns_nameserver", "got an empty string"}},
		{name: "baymodel devicemapper on a small volume", config: baymodelWith(`docker_storage_driver = "devicemapper"` + "\n" + `docker_volume_size = 2`), beforeAPI: true,
			want: []string{"needs docker_volume_size of at least 3"}},
		{name: "baymodel docker_volume_size zero", config: baymodelWith(`docker_volume_size = 0`), beforeAPI: true,
			want: []string{"docker_volume_size value must be at least 1"}},
		{name: "baymodel server_type not a type", config: baymodelWith(`server_type = "container"`), beforeAPI: true,
			want: []string{"server_type value must be one of"}},
		{name: "baymodel label key with a space", config: baymodelWith(`labels = { "kube tag" = "v1" }`), beforeAPI: true,
			want: []string{"labels", "must be letters, digits"}},
		{name: "baymodel empty name", config: baymodelWith(`name = ""`), beforeAPI: true,
			want: []string{"name string length must be between 1 and 255"}},
		{name: "baymodel name too long", config: baymodelWith(fmt.Sprintf("name = %q", long(256))), beforeAPI: true,
			want: []string{"name string length must be between 1 and 255"}},
		{name: "baymodel empty image_id", config: baymodelWith(`image_id = ""`), beforeAPI: true,
			want: []string{"image_id string length must be between 1 and 255"}},
		{name: "baymodel image Glance does not have", config: baymodelWith(`image_id = "no-such-image"`),
			want: []string{"Error creating baymodel", "not supported", "HTTP status: 400"}},
		{name: "baymodel flavor Nova does not have", config: baymodelWith(`flavor_id = "m1.nope"`),
			want: []string{"Error creating baymodel", "Unable to find flavor m1.nope"}},
		{name: "bay master flavor Nova does not have", config: bayOnRealModel(`master_flavor_id = "m1.nope"`),
			want: []string{`Error creating bay "badbay"`, "m1.nope"}},
		{name: "bay keypair Nova does not have", config: bayOnRealModel(`keypair = "missingkp"`),
			want: []string{`Error creating bay "badbay"`, "missingkp"}},
		{name: "bay keypair Nova does not have, by any name", config: bayOnRealModel(`keypair = "colleagues-key"`),
			want: []string{`Error creating bay "badbay"`, "Unable to find keypair colleagues-key.", "HTTP status: 404"}},
		{name: "bay fixed_subnet Neutron does not have", config: bayOnRealModel(`fixed_subnet = "no-such-subnet"`),
			want: fixedNetworkRefusal("Unable to find fixed subnet no-such-subnet.")},
		{name: "bay fixed_network id Neutron does not have", config: bayOnRealModel(`fixed_network = "5c1f8a3e-0009-4000-8000-000000000000"`),
			want: fixedNetworkRefusal("Unable to find fixed network 5c1f8a3e-0009-4000-8000-000000000000.")},
		{name: "bay discovery_url that is not a URL", config: bayOnRealModel(`discovery_url = "not-a-url"`),
			want:     []string{`Bay "badbay"`, "status CREATE_FAILED", "Failed to get the size of cluster from 'not-a-url'."},
			heatOnly: "magnum-cluster-api never reads discovery_url (kubeadm forms the control plane's etcd), so the bay builds"},
		{name: "baymodel external network Neutron does not have", config: baymodelWith(`external_network_id = "no-such-net"`),
			want: []string{"Error creating baymodel", "no-such-net"}},

		// Bay arguments.
		{name: "bay master_count zero", config: bayWith(`master_count = 0`), beforeAPI: true, want: []string{"master_count value must be at least 1"}},
		{name: "bay node_count negative", config: bayWith(`node_count = -1`), beforeAPI: true, want: []string{"node_count value must be at least 0"}},
		{name: "bay create_timeout negative", config: bayWith(`create_timeout = -1`), beforeAPI: true, want: []string{"create_timeout value must be at least 0"}},
		{name: "bay docker_volume_size zero", config: bayWith(`docker_volume_size = 0`), beforeAPI: true, want: []string{"docker_volume_size value must be at least 1"}},
		{name: "bay name starting with a digit", config: bayWith(`name = "1bay"`), beforeAPI: true, want: []string{"name", "must start with a letter"}},
		{name: "bay name with a space", config: bayWith(`name = "my bay"`), beforeAPI: true, want: []string{"name", "must start with a letter"}},
		{name: "bay name too long", config: bayWith(fmt.Sprintf("name = %q", long(243))), beforeAPI: true,
			want: []string{"name string length must be between 1 and 242"}},
		// Upper bounds: Magnum checks none, and its database breaks on
		// numbers beyond 32 bits.
		{name: "bay node_count beyond any cloud", config: bayWith(`node_count = 99999999999`), beforeAPI: true,
			want: []string{"node_count value must be at most 5000, got: 99999999999"}},
		{name: "bay master_count beyond etcd", config: bayWith("master_count = 9\n  master_lb_enabled = true"), beforeAPI: true,
			want: []string{"master_count value must be at most 7, got: 9"}},
		{name: "bay docker_volume_size beyond any disk", config: bayWith(`docker_volume_size = 99999999999`), beforeAPI: true,
			want: []string{"docker_volume_size value must be at most 16384, got: 99999999999"}},
		{name: "bay create_timeout beyond a day", config: bayWith(`create_timeout = 100000`), beforeAPI: true,
			want: []string{"create_timeout value must be at most 1440, got: 100000"}},
		{name: "bay timeouts beyond a day", config: bayWith("timeouts {\n    create = \"48h\"\n  }"), beforeAPI: true,
			want: []string{"Timeout too long", "timeouts.create is 48h; at most 24h0m0s"}},
		{name: "bay auto_scaling max_node_count beyond any cloud", config: bayWith("auto_scaling = { enabled = true, max_node_count = 100000 }"), beforeAPI: true,
			want: []string{"auto_scaling.max_node_count value must be at most 5000, got: 100000"}},
		{name: "bay upgrade max_batch_size beyond any cloud", config: bayWith("upgrade = { max_batch_size = 100000 }"), beforeAPI: true,
			want: []string{"upgrade.max_batch_size value must be at most 5000, got: 100000"}},
		{name: "baymodel docker_volume_size beyond any disk", config: baymodelWith(`docker_volume_size = 20000`), beforeAPI: true,
			want: []string{"docker_volume_size value must be at most 16384, got: 20000"}},
		{name: "nodegroup counts beyond any cloud", config: func(*sim.Sim) string {
			return "resource \"magnum_nodegroup\" \"test\" {\n  bay_id = \"any\"\n  name = \"ng\"\n  node_count = 10000\n  max_node_count = 20000\n  min_node_count = 6000\n}\n"
		}, beforeAPI: true, want: []string{"node_count value must be at most 5000, got: 10000"}},
		{name: "nodegroup timeouts beyond a day", config: func(*sim.Sim) string {
			return "resource \"magnum_nodegroup\" \"test\" {\n  bay_id = \"any\"\n  name = \"ng\"\n  timeouts {\n    update = \"100h\"\n  }\n}\n"
		}, beforeAPI: true, want: []string{"Timeout too long", "timeouts.update is 100h"}},
		{name: "quota hard_limit beyond any cloud", config: func(*sim.Sim) string {
			return "resource \"magnum_quota\" \"test\" {\n  project_id = \"p\"\n  hard_limit = 10000000\n}\n"
		}, beforeAPI: true, want: []string{"hard_limit value must be at most 100000, got: 10000000"}},
		{name: "bay several masters without a load balancer", config: bayWith("master_count = 3\n  master_lb_enabled = false"), beforeAPI: true,
			want: []string{"master_count", "master_count is 3 but master_lb_enabled is false"}},
		{name: "bay label key with a colon", config: bayWith(`labels = { "a:b" = "c" }`), beforeAPI: true, want: []string{"labels", "must be letters, digits"}},
		{name: "bay empty keypair", config: bayWith(`keypair = ""`), beforeAPI: true, want: []string{"keypair string length must be between 1 and 255"}},
		{name: "bay empty flavor_id", config: bayWith(`flavor_id = ""`), beforeAPI: true, want: []string{"flavor_id string length must be between 1 and 255"}},
		{name: "bay empty baymodel_id", config: func(*sim.Sim) string {
			return "resource \"magnum_bay\" \"test\" {\n  baymodel_id = \"\"\n}\n"
		}, beforeAPI: true, want: []string{"baymodel_id string length must be at least 1"}},
		{name: "bay create timeout not a duration", config: bayWith("timeouts {\n    create = \"forever\"\n  }"), beforeAPI: true,
			want: []string{"Invalid Attribute Value Time Duration", `"forever" must be a string containing a sequence of decimal numbers`}},
		{name: "bay on a baymodel that does not exist", config: func(*sim.Sim) string {
			return "resource \"magnum_bay\" \"test\" {\n  baymodel_id = \"no-such-baymodel\"\n}\n"
		}, want: []string{"Baymodel not found", "baymodel_id", "no-such-baymodel", "HTTP status: 404"}},
		{name: "bay flavor Nova does not have", config: bayOnRealModel(`flavor_id = "m1.nope"`),
			want: []string{`Error creating bay "badbay"`, "m1.nope"}},
		{name: "bay with no workers at a pinned microversion without them", config: func(s *sim.Sim) string {
			return acctest.ProviderBlock(s, "demo", `max_microversion = "1.9"`) + testAccBayConfig("badbay", 0, "")
		}, ownProvider: true, want: []string{`Error creating bay "badbay"`, "node_count 0 needs Magnum API microversion 1.10"}},

		// Data sources.
		{name: "baymodel data source by id and name", config: func(*sim.Sim) string {
			return "data \"magnum_baymodel\" \"x\" {\n  id = \"a\"\n  name = \"b\"\n}\n"
		}, beforeAPI: true, want: []string{"Invalid Attribute Combination", "id", "name"}},
		{name: "bay data source without id or name", config: func(*sim.Sim) string {
			return "data \"magnum_bay\" \"x\" {\n}\n"
		}, beforeAPI: true, want: []string{"Missing Attribute Configuration", "Exactly one of these attributes must be configured: [id,name]"}},
	}
}

// TestAccBadInput runs every invalid configuration against its own
// simulator, so "sent nothing" is exact.
func TestAccBadInput(t *testing.T) {
	cases := badInputs(t)
	if len(cases) < 40 {
		t.Fatalf("%d bad inputs; the suite promises at least 40", len(cases))
	}
	t.Logf("%d invalid configurations, %d of them caught before any API request", len(cases), countBeforeAPI(cases))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.beforeAPI && acctest.RealTarget() {
				// Nothing of it reaches the cloud, so the simulator's run
				// proves all there is; on a real cloud it would only cost a
				// Keystone domain, three users and a credential per case.
				t.Skip("caught before any API request: the run against the simulator covers it")
			}
			if tc.heatOnly != "" && acctest.CAPITarget() {
				t.Skipf("bad only for the Heat driver: %s", tc.heatOnly)
			}
			s := acctest.StartSim(t, sim.Options{})
			cfg := tc.config(s)
			if !tc.ownProvider {
				cfg = acctest.ProviderBlock(s, "demo") + cfg
			}
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      cfg,
					PlanOnly:    tc.beforeAPI,
					ExpectError: errRegexp(tc.want...),
				}},
				CheckDestroy: func(*terraform.State) error { return nil },
			})
			if t.Failed() || t.Skipped() {
				return
			}
			if tc.beforeAPI {
				if reqs := s.Requests(); len(reqs) > 0 {
					t.Errorf("caught before the API, yet %d requests reached the simulator, first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
				}
			}
			if cs := s.Clusters(); len(cs) != 0 {
				t.Errorf("the bad input left %d bays: %+v", len(cs), cs)
			}
		})
	}
}

func countBeforeAPI(cases []badInput) int {
	n := 0
	for _, c := range cases {
		if c.beforeAPI {
			n++
		}
	}
	return n
}

// fixedNetworkRefusal is how a fixed network or subnet that Neutron does
// not have reads: Zed's conductor fails the create (CREATE_FAILED with the
// reason); Magnum 2025.1's API refuses the POST with the same words.
func fixedNetworkRefusal(says string) []string {
	if acctest.RealAPI() == "2025.1" {
		return []string{`Error creating bay "badbay"`, says, "HTTP status: 400"}
	}
	return []string{`Bay "badbay"`, "did not become ready", "status CREATE_FAILED", says}
}
