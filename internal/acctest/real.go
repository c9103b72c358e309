package acctest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// Acceptance tests run against the in-process simulator unless
// MAGNUM_ACC_TARGET=real. Then StartSim gives each test a relay to a real
// Keystone and Magnum (scripts/real-magnum) instead, and a Keystone domain
// of its own holding the users "demo" and "alt" with projects of the same
// names, so tests stay independent when they run in parallel, counts of
// bays are exact, and names never collide. The admin is the cloud's own.
//
// The cloud's admin credentials come from the openrc file named by
// MAGNUM_ACC_OPENRC (scripts/real-magnum writes $STATE/openrc), or else
// from OS_* in the environment. Either way the OS_* variables are removed
// from the test process: the provider reads them as defaults, and tests
// must see the same empty environment as against the simulator.

// TargetEnv names the environment variable that selects the target.
const TargetEnv = "MAGNUM_ACC_TARGET"

// OpenRCEnv names the environment variable holding the admin openrc path.
const OpenRCEnv = "MAGNUM_ACC_OPENRC"

// ReleaseEnv names the environment variable that says which real Magnum
// the target is: "zed" (the default; Magnum 15.0.1), "2025.1" (Magnum
// 20.0.0) or "capi" (Magnum 20.0.0 whose bays the magnum-cluster-api
// driver builds), as scripts/real-magnum/stack names them. Tests that
// cannot apply on a release skip with what that release answers, and tests
// that ask for the simulator profile of the release's API run against it.
const ReleaseEnv = "MAGNUM_ACC_RELEASE"

// realReleases are the real targets scripts/real-magnum brings up.
var realReleases = map[string]string{
	"zed":    "Magnum 15.0.1 (Zed)",
	"2025.1": "Magnum 20.0.0 (2025.1)",
	"capi":   "Magnum 20.0.0 with magnum-cluster-api 0.16.0 (capi)",
}

// releaseAPIs names the simulator profile whose API each real target
// speaks: the capi stack is Magnum 20.0.0 like 2025.1, only its driver
// differs.
var releaseAPIs = map[string]string{"zed": "zed", "2025.1": "2025.1", "capi": "2025.1"}

// RealAPI is the simulator profile whose API the real target speaks
// ("zed" or "2025.1"); "" against the simulator.
func RealAPI() string { return releaseAPIs[RealRelease()] }

// CAPITarget reports whether the real target builds bays with a Cluster
// API driver (MAGNUM_ACC_RELEASE=capi): no Heat stacks, no node
// addresses, and the driver's own refusals.
func CAPITarget() bool { return RealRelease() == "capi" }

// RealRelease is the release of the real target, "zed" or "2025.1"; ""
// against the simulator.
func RealRelease() string {
	if !RealTarget() {
		return ""
	}
	if r := os.Getenv(ReleaseEnv); r != "" {
		return r
	}
	return "zed"
}

// RealReleaseName names the real target for messages, such as "Magnum
// 20.0.0 (2025.1)"; "" against the simulator.
func RealReleaseName() string { return realReleases[RealRelease()] }

// SkipOnRelease skips a test on a real target of the given release, which
// cannot do what the test needs: cloudSays is that release's own answer
// (quoted in the skip), why what the test would have checked.
func SkipOnRelease(t testing.TB, release, cloudSays, why string) {
	t.Helper()
	if RealRelease() == release {
		skipRefused(t, cloudSays, why)
	}
}

// SkipOnAPI is SkipOnRelease for what Magnum's API refuses whatever the
// driver: it skips on every real target whose API is the release's (the
// capi target's is 2025.1's).
func SkipOnAPI(t testing.TB, release, cloudSays, why string) {
	t.Helper()
	if RealAPI() == release {
		skipRefused(t, cloudSays, why)
	}
}

func skipRefused(t testing.TB, cloudSays, why string) {
	t.Helper()
	t.Skipf("%s cannot run this: it answers %q. The test checks %s, which the simulator's other profiles and the other real target cover.",
		RealReleaseName(), cloudSays, why)
}

var realAdmin struct {
	once  sync.Once
	creds sim.Credentials
	err   error
}

func init() {
	if RealTarget() {
		loadRealAdmin()
		if _, ok := realReleases[RealRelease()]; !ok && realAdmin.err == nil {
			realAdmin.err = fmt.Errorf("%s=%s: want zed, 2025.1 or capi", ReleaseEnv, RealRelease())
		}
	}
}

// RealTarget reports whether the acceptance tests run against a real
// Magnum (MAGNUM_ACC_TARGET=real).
func RealTarget() bool { return os.Getenv(TargetEnv) == "real" }

// Bound is how long a test lets a command or a wait that depends on the
// cloud run before it gives up: d against the simulator, five times d
// against a real Magnum. In CI the three real stacks share two cores with
// their three suites (load about 24), and there a real 2025.1 took over 80 s
// to delete and recreate one bay, which a two-minute bound on the whole
// apply did not allow.
func Bound(d time.Duration) time.Duration {
	if RealTarget() {
		return 5 * d
	}
	return d
}

// SkipUnlessSimulator skips a test that needs what only the simulator can
// do (fault injection beyond Heat, a fake clock, a Kubernetes endpoint, a
// newer Magnum), saying why, when the target is a real Magnum. Such a test
// skips on both real targets; the message says why it still runs in make
// test.
func SkipUnlessSimulator(t testing.TB, reason string) {
	t.Helper()
	if RealTarget() {
		t.Skipf("needs the simulator (the target is real %s): %s. It is still worth running against the simulator, "+
			"whose answers the differential check keeps true to both real releases: it checks the provider's side of "+
			"what a real cloud here cannot stage on demand.", RealReleaseName(), reason)
	}
}

// simOnlyOptions names the simulator options a real Magnum cannot honour.
// A profile is honoured by the real release of the same name; tests that
// leave it empty run on any.
// Timing options (Heat durations, conductor interval, the transient delete
// error) are left out: the real services have their own, and tests wait
// for states, not for times.
func simOnlyOptions(o sim.Options) string {
	switch {
	case o.Profile != "" && o.Profile != RealAPI():
		return fmt.Sprintf("the %s profile (the real target is %s)", o.Profile, RealReleaseName())
	case o.Now != nil:
		return "a clock the test controls"
	case o.TokenTTL != 0:
		return "a Keystone token lifetime the test sets"
	case o.FixturesFile != "":
		return "its own Nova/Glance/Neutron fixtures"
	case o.NotFoundAfterCreate != 0:
		return "a 404 right after create"
	case o.Latency != 0:
		return "added latency"
	case o.MaxClustersPerProject != 0:
		return "a default quota the test sets"
	case o.MaxServersPerProject != 0:
		return "a Nova instance quota the test sets"
	case o.TLS:
		return "an HTTPS listener with its own CA"
	case o.AppCredTrusts:
		return "a Keystone that lets application credentials create trusts (the real stack keeps the secure default)"
	}
	return ""
}

func loadRealAdmin() {
	realAdmin.once.Do(func() {
		env := map[string]string{}
		if path := os.Getenv(OpenRCEnv); path != "" {
			vars, err := readOpenRC(path)
			if err != nil {
				realAdmin.err = err
				return
			}
			env = vars
		} else {
			for _, kv := range os.Environ() {
				if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "OS_") {
					env[k] = v
				}
			}
		}
		for _, kv := range os.Environ() {
			if k, _, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "OS_") {
				_ = os.Unsetenv(k)
			}
		}
		first := func(keys ...string) string {
			for _, k := range keys {
				if v := env[k]; v != "" {
					return v
				}
			}
			return ""
		}
		c := sim.Credentials{
			AuthURL:           strings.TrimRight(env["OS_AUTH_URL"], "/"),
			Region:            first("OS_REGION_NAME"),
			UserName:          env["OS_USERNAME"],
			Password:          env["OS_PASSWORD"],
			ProjectName:       first("OS_PROJECT_NAME", "OS_TENANT_NAME"),
			UserDomainName:    first("OS_USER_DOMAIN_NAME"),
			ProjectDomainName: first("OS_PROJECT_DOMAIN_NAME"),
		}
		if c.UserDomainName == "" && strings.EqualFold(env["OS_USER_DOMAIN_ID"], "default") {
			c.UserDomainName = "Default"
		}
		if c.ProjectDomainName == "" && strings.EqualFold(env["OS_PROJECT_DOMAIN_ID"], "default") {
			c.ProjectDomainName = "Default"
		}
		if c.Region == "" {
			c.Region = "RegionOne"
		}
		if c.AuthURL == "" || c.UserName == "" || c.Password == "" || c.ProjectName == "" {
			realAdmin.err = fmt.Errorf("%s=real needs the cloud admin's OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME "+
				"(set %s to scripts/real-magnum's $STATE/openrc)", TargetEnv, OpenRCEnv)
			return
		}
		realAdmin.creds = c
	})
}

// readOpenRC reads the export lines of an openrc file, without a shell.
func readOpenRC(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", OpenRCEnv, err)
	}
	defer f.Close()
	return sim.ParseOpenRC(f)
}

// startReal gives the test its own domain and users on the real cloud and
// a relay to it.
func startReal(t testing.TB, opts sim.Options) *sim.Sim {
	t.Helper()
	if why := simOnlyOptions(opts); why != "" {
		SkipUnlessSimulator(t, "the test uses "+why)
	}
	loadRealAdmin()
	if realAdmin.err != nil {
		t.Fatal(realAdmin.err)
	}
	admin := realAdmin.creds
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ks := &keystone{url: admin.AuthURL, client: &http.Client{Timeout: 60 * time.Second}}
	adminTok, adminProject, err := ks.login(ctx, admin)
	if err != nil {
		t.Fatalf("real target: %v", err)
	}
	admin.ProjectID = adminProject

	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	domainName := "acc-" + hex.EncodeToString(suffix[:])
	var domain struct{ Domain struct{ ID string } }
	if err := ks.do(ctx, adminTok, http.MethodPost, "/domains", map[string]any{"domain": map[string]any{
		"name": domainName, "description": "acceptance test " + t.Name()}}, &domain); err != nil {
		t.Fatalf("real target: creating domain: %v", err)
	}
	domainID := domain.Domain.ID
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("real target: keeping domain %s of the failed test for inspection", domainName)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// Keystone deletes only disabled domains, and with them their
		// projects and users.
		_ = ks.do(ctx, adminTok, http.MethodPatch, "/domains/"+domainID, map[string]any{"domain": map[string]any{"enabled": false}}, nil)
		if err := ks.do(ctx, adminTok, http.MethodDelete, "/domains/"+domainID, nil, nil); err != nil {
			t.Logf("real target: deleting domain %s: %v", domainName, err)
		}
	})
	var roles struct{ Roles []struct{ ID string } }
	if err := ks.do(ctx, adminTok, http.MethodGet, "/roles?name=member", nil, &roles); err != nil || len(roles.Roles) == 0 {
		t.Fatalf("real target: no member role: %v", err)
	}
	member := roles.Roles[0].ID

	users := map[string]sim.Credentials{"admin": admin}
	projects := map[string]string{}
	// As in the simulator, demo2 is a second member of project demo.
	for _, name := range []string{"demo", "alt", "demo2"} {
		home := strings.TrimSuffix(name, "2")
		if projects[home] == "" {
			var p struct{ Project struct{ ID string } }
			if err := ks.do(ctx, adminTok, http.MethodPost, "/projects", map[string]any{"project": map[string]any{
				"name": home, "domain_id": domainID}}, &p); err != nil {
				t.Fatalf("real target: creating project %s: %v", home, err)
			}
			projects[home] = p.Project.ID
		}
		password := "pw-" + hex.EncodeToString(suffix[:])
		var u struct{ User struct{ ID string } }
		if err := ks.do(ctx, adminTok, http.MethodPost, "/users", map[string]any{"user": map[string]any{
			"name": name, "domain_id": domainID, "password": password, "default_project_id": projects[home]}}, &u); err != nil {
			t.Fatalf("real target: creating user %s: %v", name, err)
		}
		if err := ks.do(ctx, adminTok, http.MethodPut, "/projects/"+projects[home]+"/users/"+u.User.ID+"/roles/"+member, nil, nil); err != nil {
			t.Fatalf("real target: granting member on %s: %v", home, err)
		}
		users[name] = sim.Credentials{
			Region: admin.Region, UserName: name, UserID: u.User.ID, Password: password,
			ProjectName: home, ProjectID: projects[home], UserDomainName: domainName, ProjectDomainName: domainName,
		}
	}
	// The simulator's demo user has an application credential; so does
	// this one.
	demo := users["demo"]
	demoTok, _, err := ks.login(ctx, demo)
	if err != nil {
		t.Fatalf("real target: %v", err)
	}
	var ac struct {
		ApplicationCredential struct{ ID, Name, Secret string } `json:"application_credential"`
	}
	if err := ks.do(ctx, demoTok, http.MethodPost, "/users/"+demo.UserID+"/application_credentials", map[string]any{
		"application_credential": map[string]any{"name": "acc-demo", "secret": "appcred-" + hex.EncodeToString(suffix[:]),
			// Named, so the credential never depends on which roles
			// Keystone read into the creating token.
			"roles": []map[string]string{{"name": "member"}}}}, &ac); err != nil {
		t.Fatalf("real target: creating an application credential: %v", err)
	}
	demo.AppCredID, demo.AppCredName, demo.AppCredSecret = ac.ApplicationCredential.ID, ac.ApplicationCredential.Name, ac.ApplicationCredential.Secret
	users["demo"] = demo

	ropts := sim.RelayOptions{KeystoneURL: admin.AuthURL, Users: users}
	if opts.Logf != nil {
		ropts.Logf = opts.Logf
	} else if os.Getenv("MAGNUM_SIM_LOG") != "" {
		ropts.Logf = t.Logf
	}
	s, err := sim.StartRelay(ropts)
	if err != nil {
		t.Fatalf("real target: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// keystone is the handful of Keystone v3 admin calls startReal makes.
type keystone struct {
	url    string
	client *http.Client
}

func (k *keystone) login(ctx context.Context, c sim.Credentials) (token, projectID string, err error) {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.UserName, "password": c.Password, "domain": map[string]any{"name": c.UserDomainName}}}},
		"scope": map[string]any{"project": map[string]any{"name": c.ProjectName, "domain": map[string]any{"name": c.ProjectDomainName}}},
	}}
	var doc struct {
		Token struct{ Project struct{ ID string } }
	}
	hdr, err := k.call(ctx, "", http.MethodPost, "/auth/tokens", body, &doc)
	if err != nil {
		return "", "", fmt.Errorf("logging in to %s as %s: %w", k.url, c.UserName, err)
	}
	return hdr.Get("X-Subject-Token"), doc.Token.Project.ID, nil
}

func (k *keystone) do(ctx context.Context, token, method, path string, in, out any) error {
	_, err := k.call(ctx, token, method, path, in, out)
	return err
}

func (k *keystone) call(ctx context.Context, token, method, path string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.url+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// SkipHeatOnCAPI skips, on the capi target, a test about bays of the Heat
// driver (fedora-coreos images, Heat stacks and their diagnostics): the
// target's Magnum would still build them on its Heat stand-in, but a cloud
// with a Cluster API driver may have no Heat at all, and the 2025.1 target
// runs the same Magnum with Heat. why says what the test checks.
func SkipHeatOnCAPI(t testing.TB, why string) {
	t.Helper()
	if CAPITarget() {
		t.Skipf("needs a Heat bay (%s); %s builds its bays with magnum-cluster-api, without Heat, and the 2025.1 target runs this test",
			why, RealReleaseName())
	}
}

// SkipBaylessOnCAPI skips, on the capi target, a test that builds no bay
// (provider login, quotas, baymodels, bad input). The capi stack runs the
// same Magnum 20.0.0 and Keystone 27 packages as the 2025.1 target, which
// runs the test; only the bay driver differs, and a test without a bay never
// reaches it. Running it twice costs the shared CI machine minutes of
// Keystone CPU and proves nothing more.
func SkipBaylessOnCAPI(t testing.TB) {
	t.Helper()
	if CAPITarget() {
		t.Skip("builds no bay, so the Cluster API driver plays no part: the capi stack runs the 2025.1 target's Magnum 20.0.0 and Keystone 27, and the 2025.1 target runs this test")
	}
}
