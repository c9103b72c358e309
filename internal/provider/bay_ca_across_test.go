package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

func TestCAHoldsAt(t *testing.T) {
	at := time.Date(2026, 12, 5, 14, 20, 44, 304700670, time.UTC)
	bay := &magnum.Cluster{UUID: "b1", UpdatedAt: at, APIAddress: "https://10.0.0.5:6443"}
	fp := caFingerprint(bay, bayMeta{})
	moved := *bay
	moved.UpdatedAt = at.Add(time.Second)
	readdressed := *bay
	readdressed.APIAddress = "https://10.0.0.6:6443"
	for _, tt := range []struct {
		name      string
		stored    string
		ca        string
		bay       *magnum.Cluster
		wantHolds bool
	}{
		{"the bay is as it was when the CA was read", fp, "PEM", bay, true},
		{"the bay was saved since (a rotation among the possible causes)", fp, "PEM", &moved, false},
		{"the bay's address changed", fp, "PEM", &readdressed, false},
		{"the state holds no CA", fp, "", bay, false},
		{"no fingerprint was kept (the CA read failed, or an older state)", "", "PEM", bay, false},
		{"no bay was read", fp, "PEM", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := caHoldsAt(tt.stored, tt.ca, tt.bay, bayMeta{}); got != tt.wantHolds {
				t.Errorf("caHoldsAt = %v, want %v", got, tt.wantHolds)
			}
		})
	}
}

func TestCAAcrossBefore(t *testing.T) {
	at := time.Date(2026, 12, 5, 14, 20, 44, 0, time.UTC)
	bay := &magnum.Cluster{UUID: "b1", UpdatedAt: at, APIAddress: "https://10.0.0.5:6443"}
	later := *bay
	later.UpdatedAt = at.Add(time.Minute)
	kube := bayMeta{COE: "kubernetes", CARead: caFingerprint(bay, bayMeta{})}
	for _, tt := range []struct {
		name    string
		meta    bayMeta
		stateCA string
		seen    []*magnum.Cluster
		want    string
	}{
		{"the state's CA holds as the update starts", kube, "STATE", []*magnum.Cluster{bay}, "STATE"},
		{"only the first update's start counts: the second follows the provider's own", kube, "STATE", []*magnum.Cluster{bay, &later}, "STATE"},
		{"TLS disabled: there is no CA", bayMeta{COE: "kubernetes", TLSDisabled: true, CARead: caFingerprint(bay, bayMeta{})}, "STATE", []*magnum.Cluster{bay}, ""},
		{"a COE without credentials", bayMeta{COE: "mesos", CARead: caFingerprint(bay, bayMeta{})}, "STATE", []*magnum.Cluster{bay}, ""},
		{"no update was sent", kube, "STATE", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := bayModel{}
			st.CACert = nullableStr(tt.stateCA)
			k := newCAAcross(nil, tt.meta, st)
			for _, c := range tt.seen {
				k.before(context.Background(), c)
			}
			if got := k.result(context.Background()); got != tt.want {
				t.Errorf("result = %q, want %q", got, tt.want)
			}
		})
	}
	var none *caAcross
	none.before(context.Background(), bay)
	if got := none.result(context.Background()); got != "" {
		t.Errorf("a nil caAcross gave %q", got)
	}
}

func TestBaymodelReads(t *testing.T) {
	v123 := &magnum.ClusterTemplate{UUID: "uuid-123", Name: "k8s-v1-23"}
	notFound := errors.New("404 ClusterTemplate k8s-v1-99 could not be found")
	for _, tt := range []struct {
		name      string
		reads     []string
		wantCalls []string
	}{
		{"the same UUID twice is one request", []string{"uuid-123", "uuid-123"}, []string{"uuid-123"}},
		{"a name, then its UUID, is one request", []string{"k8s-v1-23", "uuid-123"}, []string{"k8s-v1-23"}},
		{"a UUID, then its name, is two: the name might now mean another baymodel", []string{"uuid-123", "k8s-v1-23"}, []string{"uuid-123", "k8s-v1-23"}},
		{"a failure is kept for the call too", []string{"k8s-v1-99", "k8s-v1-99"}, []string{"k8s-v1-99"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			bm := &baymodelReads{seen: map[string]baymodelRead{}, get: func(_ context.Context, id string) (*magnum.ClusterTemplate, error) {
				calls = append(calls, id)
				if id == "k8s-v1-99" {
					return nil, notFound
				}
				return v123, nil
			}}
			for _, id := range tt.reads {
				ct, err := bm.read(context.Background(), id)
				if id == "k8s-v1-99" {
					if !errors.Is(err, notFound) {
						t.Fatalf("read(%s) = %v, want the lookup's error", id, err)
					}
					continue
				}
				if err != nil || ct != v123 {
					t.Fatalf("read(%s) = %v, %v", id, ct, err)
				}
			}
			if fmt.Sprint(calls) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("requests %v, want %v", calls, tt.wantCalls)
			}
		})
	}

	// A read cut short by the caller's context is not remembered.
	calls := 0
	bm := &baymodelReads{seen: map[string]baymodelRead{}, get: func(ctx context.Context, id string) (*magnum.ClusterTemplate, error) {
		calls++
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return v123, nil
	}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bm.read(cancelled, "uuid-123"); err == nil {
		t.Fatal("a cancelled read succeeded")
	}
	if ct, err := bm.read(context.Background(), "uuid-123"); err != nil || ct != v123 || calls != 2 {
		t.Errorf("after a cancelled read: %v, %v after %d requests, want the baymodel after 2", ct, err, calls)
	}
}

// TestAccBay_ownUpdatesKeepTheCA: a resize and an upgrade, each one
// `terraform apply` as a user runs it, read no CA after the update (a
// resize or an upgrade never changes the bay's CA), and the upgrade reads
// each baymodel twice: once when the plan refreshes its magnum_baymodel
// resource, whose answer the bay's plan-time checks then reuse, and once
// when Terraform plans the bay again in the apply's provider process,
// whose answer the Update's checks and the bay's new private state reuse.
// Before the process kept its recent baymodels that was 4 times each, and
// before the checks shared their reads within a call 6 and 10. After a
// resize made elsewhere, an apply that does not refresh finds the bay
// changed since its CA was read: the one CA read goes out alongside the
// update, not after it.
func TestAccBay_ownUpdatesKeepTheCA(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "counts the provider's requests in the simulator's log, and rotates a CA out of band")
	t.Parallel()
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	head := cliHead
	cfg := func(template string, nodes int) string {
		return head + upgradeConfigs(s, template, fmt.Sprintf("node_count = %d", nodes))
	}
	mc := acctest.MagnumClient(t, s, "demo")
	ctx := context.Background()
	cli.writeConfig(cfg("v123", 1))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "heatbay")
	checkCA := func(when string) {
		t.Helper()
		want, err := mc.GetCA(ctx, id, magnum.CATypeKubernetes)
		if err != nil {
			t.Fatal(err)
		}
		if got := stateBayCA(t, cli); got != want {
			t.Errorf("after %s the state's CA is not the bay's", when)
		}
		if code, out := cli.planExitCode(); code != 0 {
			t.Errorf("the plan after %s exited %d, want 0:\n%s", when, code, out)
		}
	}

	apply := func(args ...string) []sim.Request {
		t.Helper()
		mark := len(s.Requests())
		cli.run(append([]string{"apply", "-auto-approve"}, args...)...)
		return s.Requests()[mark:]
	}

	cli.writeConfig(cfg("v123", 2))
	resized := apply()
	expectNoCAReadAfter(t, resized, "POST /v1/clusters/{id}/actions/resize")
	checkCA("the resize")

	cli.writeConfig(cfg("v124", 2))
	upgraded := apply()
	expectNoCAReadAfter(t, upgraded, "POST /v1/clusters/{id}/actions/upgrade")
	reads := map[string]int{}
	for _, r := range upgraded {
		if r.Route == "GET /v1/clustertemplates/{id}" {
			reads[r.Path[strings.LastIndex(r.Path, "/")+1:]]++
		}
	}
	t.Logf("the upgrade's apply read the baymodels %v", reads)
	if len(reads) != 2 {
		t.Errorf("the upgrade read baymodels %v, want both", reads)
	}
	for ct, n := range reads {
		if n > 2 {
			t.Errorf("the upgrade read baymodel %s %d times, want at most 2", ct, n)
		}
	}
	checkCA("the upgrade")

	// Resized elsewhere (an autoscaler), and an apply that does not refresh: the bay
	// changed since its CA was read, so the update reads the CA, once,
	// while Magnum works.
	mustSim(t, s.SetNodeCount(id, 3))
	cli.writeConfig(cfg("v124", 4))
	stale := apply("-refresh=false")
	caRead, lastBayRead := -1, -1
	for i, r := range stale {
		switch r.Route {
		case "GET /v1/certificates/{id}":
			if caRead >= 0 {
				t.Errorf("the resize after one made elsewhere read the CA more than once")
			}
			caRead = i
		case "GET /v1/clusters/{id}":
			lastBayRead = i
		}
	}
	if caRead < 0 || caRead > lastBayRead {
		t.Errorf("the resize after one made elsewhere read the CA at request %d, want one read before the wait's last look at the bay (request %d)", caRead, lastBayRead)
	}
	checkCA("the resize after one made elsewhere")
	cli.run("destroy", "-auto-approve")
}

// expectNoCAReadAfter fails when the CA was read after the last request of
// route among reqs.
func expectNoCAReadAfter(t *testing.T, reqs []sim.Request, route string) {
	t.Helper()
	at := -1
	for i, r := range reqs {
		if r.Route == route {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("no %s among the %d requests", route, len(reqs))
	}
	for _, r := range reqs[at+1:] {
		if r.Route == "GET /v1/certificates/{id}" {
			t.Errorf("the CA was read after %s (at %s)", route, r.Time.Format(time.RFC3339Nano))
		}
	}
}

// stateBayCA is the ca_cert of the bay in terraform.tfstate.
func stateBayCA(t *testing.T, cli *terraformCLI) string {
	t.Helper()
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					CACert string `json:"ca_cert"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	raw, err := os.ReadFile(filepath.Join(cli.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatalf("reading the state: %v", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("decoding the state: %v", err)
	}
	for _, r := range st.Resources {
		if r.Type == "magnum_bay" && len(r.Instances) == 1 && r.Instances[0].Attributes.CACert != "" {
			return r.Instances[0].Attributes.CACert
		}
	}
	t.Fatal("no bay with a CA in the state")
	return ""
}

// caReadsDuring counts the CA reads the simulator served while run ran.
func caReadsDuring(s *sim.Sim, run func()) int {
	mark := len(s.Requests())
	run()
	n := 0
	for _, r := range s.Requests()[mark:] {
		if r.Route == "GET /v1/certificates/{id}" {
			n++
		}
	}
	return n
}

func TestCAMayChangeSilently(t *testing.T) {
	for _, tt := range []struct {
		driver, distro string
		want           bool
	}{
		{"k8s_cluster_api_flatcar", "flatcar", false},
		{"k8s_cluster_api_ubuntu", "ubuntu", false},
		{"k8s_cluster_api_ubuntu_focal", "ubuntu-focal", false},
		{"k8s_cluster_api_rockylinux", "rockylinux", false},
		{"k8s_fedora_coreos_v1", "fedora-coreos", true},
		{"k8s_fedora_coreos_v1", "ubuntu", false},
		{"k8s_fedora_atomic_v1", "fedora-atomic", false},
		{"swarm_fedora_atomic_v2", "fedora-atomic", false},
		{"mesos_ubuntu_v1", "ubuntu", false},
		{"k8s_fedora_coreos_v1", "", true},
		{"", "ubuntu", true},
		{"", "fedora-coreos", true},
		{"", "", true},
		{"k8s_capi_helm_v1", "ubuntu", true},
	} {
		if got := caMayChangeSilently(tt.driver, tt.distro); got != tt.want {
			t.Errorf("caMayChangeSilently(%q, %q) = %v, want %v", tt.driver, tt.distro, got, tt.want)
		}
	}
}

// TestCAFingerprintAcrossAHealthSave saves a bay as Magnum's health check
// does (updated_at and the health fields move), as a CA rotation does
// (carried out: UPDATE_COMPLETE; refused: UPDATE_FAILED) and as a resize
// does, on a Cluster API bay and on a Heat fedora-coreos bay: equal
// fingerprints mean the refresh keeps the CA it read.
func TestCAFingerprintAcrossAHealthSave(t *testing.T) {
	at := time.Date(2026, 12, 5, 14, 20, 44, 0, time.UTC)
	created := magnum.Cluster{UUID: "b1", UpdatedAt: at, APIAddress: "https://10.0.0.5:6443", Status: "CREATE_COMPLETE",
		ClusterTemplateID: "t1", NodeCount: 1, MasterCount: 1, HealthStatus: "UNKNOWN"}
	healthSaved := func(c magnum.Cluster) magnum.Cluster {
		c.UpdatedAt, c.HealthStatus = c.UpdatedAt.Add(time.Minute), "HEALTHY"
		c.HealthStatusReason = map[string]any{"api": "ok"}
		return c
	}
	// A rotation Magnum carried out ends UPDATE_COMPLETE with the reason a
	// resize also leaves; a refused one UPDATE_FAILED with the error.
	rotated := func(c magnum.Cluster) magnum.Cluster {
		c.UpdatedAt, c.Status, c.StatusReason = c.UpdatedAt.Add(2*time.Minute), "UPDATE_COMPLETE", "Stack UPDATE completed successfully"
		return c
	}
	refused := func(c magnum.Cluster) magnum.Cluster {
		c.UpdatedAt, c.Status, c.StatusReason = c.UpdatedAt.Add(2*time.Minute), "UPDATE_FAILED", "'rotate_ca_certificate' is not supported by this driver."
		return c
	}
	resizedBack := refused(healthSaved(created))
	resizedBack.UpdatedAt, resizedBack.Status, resizedBack.StatusReason, resizedBack.NodeCount = at.Add(3*time.Minute), "CREATE_COMPLETE", "", 2
	updated := rotated(created) // a bay resized (or rotated) before its CA was read
	capi := bayMeta{COE: "kubernetes", Driver: "k8s_cluster_api_flatcar", Distro: "flatcar"}
	heat := bayMeta{COE: "kubernetes", Driver: "k8s_fedora_coreos_v1", Distro: "fedora-coreos"}
	old := bayMeta{COE: "kubernetes"}
	for _, tt := range []struct {
		name          string
		meta          bayMeta
		before, after magnum.Cluster
		wantEqual     bool
	}{
		{"Cluster API bay, health save", capi, created, healthSaved(created), true},
		{"Cluster API bay, failed rotation", capi, created, refused(healthSaved(created)), false},
		{"Cluster API bay, failed rotation then a resize back to the old status", capi, created, resizedBack, false},
		{"Cluster API bay updated before, health save", capi, updated, healthSaved(updated), true},
		{"Heat fedora-coreos bay never updated, health save", heat, created, healthSaved(created), true},
		{"Heat fedora-coreos bay never updated, rotated", heat, created, rotated(healthSaved(created)), false},
		{"Heat fedora-coreos bay updated before, health save", heat, updated, healthSaved(updated), false},
		{"Heat fedora-coreos bay updated before, rotated", heat, updated, rotated(updated), false},
		{"a state from before the driver was kept, never updated, health save", old, created, healthSaved(created), true},
		{"a state from before the driver was kept, updated before, health save", old, updated, healthSaved(updated), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := caFingerprint(&tt.before, tt.meta) == caFingerprint(&tt.after, tt.meta); got != tt.wantEqual {
				t.Errorf("fingerprints equal = %v, want %v", got, tt.wantEqual)
			}
		})
	}
	if caFingerprint(&updated, capi) == caFingerprint(&updated, heat) {
		t.Error("the two forms of the fingerprint compare equal")
	}
}

// On a Heat bay that can rotate its CA, Magnum's health check saving the
// bay every minute costs no CA read while the bay is still as it was
// created; a rotation moves it to UPDATE_COMPLETE and is read, and from
// then on a health save cannot be told from another rotation, so each one
// is read.
func TestAccBay_caKeptAcrossHealthSavesUntilUpdated(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "counts the provider's requests in the simulator's log, and saves and rotates out of band")
	t.Parallel()
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + testAccBayConfig("healthy", 1, ""))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "healthy")
	caReads := func(args ...string) int {
		t.Helper()
		return caReadsDuring(s, func() { cli.run(args...) })
	}
	before := stateBayCA(t, cli)

	mustSim(t, s.SaveHealth(id))
	if n := caReads("plan"); n != 0 {
		t.Errorf("the plan after a health save of a CREATE_COMPLETE bay read the CA %d times, want 0", n)
	}
	if n := caReads("apply", "-refresh-only", "-auto-approve"); n != 0 {
		t.Errorf("the refresh after a health save of a CREATE_COMPLETE bay read the CA %d times, want 0", n)
	}

	mustSim(t, s.RotateCA(id))
	waitForBayStatus(t, s, "healthy", "UPDATE_COMPLETE")
	if n := caReads("apply", "-refresh-only", "-auto-approve"); n != 1 {
		t.Errorf("the refresh after a rotation read the CA %d times, want 1", n)
	}
	want, err := acctest.MagnumClient(t, s, "demo").GetCA(context.Background(), id, magnum.CATypeKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	if got := stateBayCA(t, cli); got != want || got == before {
		t.Error("after the rotation the state's CA is not the one Magnum now reports")
	}

	mustSim(t, s.SaveHealth(id))
	if n := caReads("plan"); n != 1 {
		t.Errorf("the plan after a health save of an UPDATE_COMPLETE bay read the CA %d times, want 1", n)
	}
	cli.run("destroy", "-auto-approve")
}

// On a cloud whose driver cannot rotate a CA (magnum-cluster-api, the
// simulator's master profile), Magnum's health check saving the bay every
// minute does not make a refresh read the CA again; the one way its CA
// changes, a refused rotation, does, and the state then holds Magnum's CA.
func TestAccBay_caKeptAcrossHealthSaves(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "counts the provider's requests in the simulator's log, and saves and rotates out of band")
	t.Parallel()
	cli := newTerraformCLI(t)
	opts := fastBays()
	opts.Profile = "master"
	s := acctest.StartSim(t, opts)
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + capiBaymodel("capi", "capi", "v1.30.2") + `

resource "magnum_bay" "capi" {
  name        = "capibay"
  baymodel_id = magnum_baymodel.capi.id
}
`)
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "capibay")
	caReads := func(args ...string) int {
		t.Helper()
		return caReadsDuring(s, func() { cli.run(args...) })
	}
	before := stateBayCA(t, cli)

	mustSim(t, s.SaveHealth(id))
	if n := caReads("plan"); n != 0 {
		t.Errorf("the plan after a health save read the CA %d times, want 0", n)
	}
	mustSim(t, s.SaveHealth(id))
	if n := caReads("apply", "-refresh-only", "-auto-approve"); n != 0 {
		t.Errorf("the refresh after a health save read the CA %d times, want 0", n)
	}
	if got := stateBayCA(t, cli); got != before {
		t.Error("the refresh after a health save changed the state's CA")
	}

	if err := s.RotateCA(id); err == nil {
		t.Fatal("the simulator rotated the CA of a Cluster API bay")
	}
	if n := caReads("apply", "-refresh-only", "-auto-approve"); n != 1 {
		t.Errorf("the refresh after a refused rotation read the CA %d times, want 1", n)
	}
	want, err := acctest.MagnumClient(t, s, "demo").GetCA(context.Background(), id, magnum.CATypeKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	if got := stateBayCA(t, cli); got != want || got == before {
		t.Error("after the refused rotation the state's CA is not the one Magnum now reports")
	}
	cli.run("destroy", "-auto-approve")
}

// An apply that does not refresh (-refresh=false, or a saved plan applied
// later) plans the bay's credentials as the state holds them. When the CA
// was rotated elsewhere in between, Update finds another CA; Terraform
// accepts only the values its plan showed, so the apply keeps the planned
// ones, says why, and the next refresh records Magnum's.
func TestAccBay_unrefreshedUpdateKeepsPlannedCredentials(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "rotates the bay's CA out of band")
	t.Parallel()
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	head := cliHead + acctest.ProviderBlock(s, "demo")
	cli.writeConfig(head + testAccBayConfig("stale", 1, ""))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "stale")
	before := stateBayCA(t, cli)

	mustSim(t, s.RotateCA(id))
	waitForBayStatus(t, s, "stale", "UPDATE_COMPLETE")
	rotated, err := acctest.MagnumClient(t, s, "demo").GetCA(context.Background(), id, magnum.CATypeKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == before {
		t.Fatal("the simulator's rotation kept the CA")
	}

	cli.writeConfig(head + testAccBayConfig("stale", 2, ""))
	out := cli.run("apply", "-refresh=false", "-auto-approve")
	expectInOutput(t, out, `Warning: Bay "stale" changed outside Terraform`, "ca_cert", "kubeconfig", "terraform apply -refresh-only")
	if got := stateBayCA(t, cli); got != before {
		t.Error("the unrefreshed apply stored a CA its plan did not show")
	}
	if c := waitForBayStatus(t, s, "stale", "UPDATE_COMPLETE"); c.NodeCount != 2 {
		t.Errorf("the unrefreshed apply left %d nodes, want 2", c.NodeCount)
	}

	cli.run("apply", "-refresh-only", "-auto-approve")
	if got := stateBayCA(t, cli); got != rotated {
		t.Error("the refresh after the unrefreshed apply did not record Magnum's CA")
	}
	if code, out := cli.planExitCode(); code != 0 {
		t.Errorf("plan after the refresh exited %d, want 0:\n%s", code, out)
	}
	cli.run("destroy", "-auto-approve")
}
