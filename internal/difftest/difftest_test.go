package difftest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// The real stack of scripts/real-magnum; MAGNUM_REAL_KEYSTONE overrides it.
const defaultRealKeystone = "http://127.0.0.1:5000/v3"

func realKeystone() string {
	if v := os.Getenv("MAGNUM_REAL_KEYSTONE"); v != "" {
		return strings.TrimRight(v, "/")
	}
	return defaultRealKeystone
}

// realUp reports whether Keystone and Magnum of the real stack answer.
func realUp() bool {
	c := &http.Client{Timeout: 10 * time.Second}
	for _, u := range []string{realKeystone(), "http://127.0.0.1:9511/v1/"} {
		resp, err := c.Get(u)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return false
		}
	}
	return true
}

// TestDifferential sends the script to real Magnum and to the simulator's
// profile of the same release (MAGNUM_DIFF_RELEASE: zed, the default,
// 2025.1, or capi against the master profile) at the same time and compares every answer. A difference
// fails the test unless known_differences.yaml explains it.
func TestDifferential(t *testing.T) {
	// Opt-in as well: `make test` must not depend on a stack someone left
	// running.
	if os.Getenv("MAGNUM_DIFFTEST") == "" {
		t.Skip("set MAGNUM_DIFFTEST=1 with the real stack up, or run make difftest")
	}
	if !realUp() {
		t.Skip("the real Magnum stack is not up (scripts/real-magnum/up.sh, or make difftest)")
	}
	rel, ok := releases[os.Getenv("MAGNUM_DIFF_RELEASE")]
	if !ok && os.Getenv("MAGNUM_DIFF_RELEASE") != "" {
		t.Fatalf("MAGNUM_DIFF_RELEASE=%s: want zed, 2025.1 or capi", os.Getenv("MAGNUM_DIFF_RELEASE"))
	}
	if !ok {
		rel = releases["zed"]
	}
	known, err := loadKnown("known_differences.yaml", scriptSteps())
	if err != nil {
		t.Fatal(err)
	}
	opts := sim.Options{
		Profile: rel.simProfile(),
		// Zed and 2025.1 both leave a deleted nodegroup's row for ever.
		NodegroupDeleteStuck: true,
		HeatCreateDuration:   time.Second, HeatUpdateDuration: time.Second, HeatDeleteDuration: time.Second,
	}
	if rel.capi {
		opts = capiSimOptions(t)
	}
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	accounts := func(cred func(string) account) map[string]account {
		out := map[string]account{}
		for _, n := range []string{"demo", "demo2", "alt", "admin"} {
			out[n] = cred(n)
		}
		return out
	}
	real := &target{
		name: "real", keystoneURL: realKeystone(), client: newClient(),
		accounts: accounts(func(n string) account {
			project := strings.TrimSuffix(n, "2")
			return account{user: n, password: "secret", project: project, userDomain: "Default", projectDomain: "Default"}
		}),
	}
	simT := &target{
		name: "simulator", keystoneURL: s.AuthURL(), client: newClient(),
		accounts: accounts(func(n string) account {
			c := s.Credentials(n)
			return account{user: c.UserName, password: c.Password, project: c.ProjectName, userDomain: c.UserDomainName, projectDomain: c.ProjectDomainName}
		}),
		// The real stack's Heat stand-in fails every stack named like
		// "fail"; the simulator is told per cluster.
		beforeFailingCreate: func(match string) { s.InjectFault(match, sim.Fault{}) },
	}

	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Minute)
	defer cancel()
	run := time.Now().UTC().Format("150405")
	ac, dropAppCred, err := real.newAppCred(ctx, "demo", "dt-ac-"+run)
	if err != nil {
		t.Fatal(err)
	}
	defer dropAppCred()
	real.accounts["demo-ac"] = ac
	c := s.Credentials("demo")
	simT.accounts["demo-ac"] = account{appCredID: c.AppCredID, appCredSecret: c.AppCredSecret}
	// A quota left by an interrupted run would turn the quota steps into
	// conflicts.
	for _, tg := range []*target{real, simT} {
		if p, err := tg.projectID(ctx, "demo"); err == nil {
			_, _, _ = tg.do(ctx, "admin", http.MethodDelete, "/v1/quotas/"+p+"/Cluster", "", nil, "")
		} else {
			t.Fatal(err)
		}
	}

	steps := rel.steps(run)
	t.Logf("comparing real Magnum %s with the simulator's %s profile", rel.name, rel.simProfile())
	results := map[string][]exchange{}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tg := range []*target{real, simT} {
		r := &runner{t: tg, vars: map[string]string{}, timeout: 2 * time.Minute, logf: t.Logf}
		for _, who := range []string{"demo", "alt"} {
			p, err := tg.projectID(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			r.vars["project:"+who] = p
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			started := time.Now()
			ex, err := r.run(ctx, steps)
			mu.Lock()
			results[tg.name], errs[tg.name] = ex, err
			mu.Unlock()
			t.Logf("%s: %d steps in %s", tg.name, len(ex), time.Since(started).Round(time.Second))
		}()
	}
	wg.Wait()
	writeReport(t, results)
	for name, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	used := make([]int, len(known))
	var unexplained []difference
	for i, st := range steps {
		for _, d := range compare(st.name, results["real"][i], results["simulator"][i], run) {
			explained := false
			for k, kd := range known {
				if kd.matches(rel.name, d) {
					used[k]++
					explained = true
					break
				}
			}
			if !explained {
				unexplained = append(unexplained, d)
			}
		}
	}
	for k, kd := range known {
		if used[k] == 0 {
			// Not a failure: timing-dependent differences come and go.
			t.Logf("known difference not seen this run: %s %s (%s)", strings.Join(kd.Steps, ","), kd.Path, kd.Reason)
		}
	}
	explainedCount := 0
	for _, n := range used {
		explainedCount += n
	}
	t.Logf("%d steps compared; %d differences explained by known_differences.yaml, %d not", len(steps), explainedCount, len(unexplained))
	for _, d := range unexplained {
		t.Errorf("unexplained difference: %s", d)
	}
}

// writeReport keeps both transcripts for a human to read when
// MAGNUM_DIFF_REPORT names a file.
func writeReport(t *testing.T, results map[string][]exchange) {
	path := os.Getenv("MAGNUM_DIFF_REPORT")
	if path == "" {
		return
	}
	raw, err := json.MarshalIndent(results, "", "  ")
	if err == nil {
		err = os.WriteFile(path, raw, 0o644)
	}
	if err != nil {
		t.Logf("writing %s: %v", path, err)
		return
	}
	t.Logf("transcripts written to %s", path)
}

// TestNormalize pins what the comparison ignores and what it keeps.
func TestNormalize(t *testing.T) {
	cases := []struct {
		name     string
		in, want any
	}{
		{"ids and times are volatile", map[string]any{"uuid": "x", "created_at": "2026-01-01T00:00:00+00:00", "status": "CREATE_COMPLETE"},
			map[string]any{"uuid": "<volatile>", "created_at": "<time>", "status": "CREATE_COMPLETE"}},
		{"a time keeps whether it has microseconds", map[string]any{"updated_at": "2026-12-04T20:29:22.761036+00:00"},
			map[string]any{"updated_at": "<time.microseconds>"}},
		{"a null time stays null", map[string]any{"updated_at": nil}, map[string]any{"updated_at": nil}},
		{"uuids inside messages", "Cluster 0b5f6c1e-1111-4222-8333-944445555666 could not be found.", "Cluster <uuid> could not be found."},
		{"ports of loopback URLs", "https://127.0.0.1:6443", "https://<host>"},
		{"set order of choices", "Value should be one of: swarm, kubernetes, dcos", "Value should be one of: dcos, kubernetes, swarm"},
		{"generated names", "fuzzy-42-template", "<generated-name>"},
		{"Cluster API cluster names", "CAPI Cluster status: Provisioned: Cluster kube-bzr8n is Provisioned.", "CAPI Cluster status: Provisioned: Cluster kube-<name> is Provisioned."},
		{"items of other runs are dropped", map[string]any{"clusters": []any{map[string]any{"name": "a-r1"}, map[string]any{"name": "b-r2"}}},
			map[string]any{"clusters": []any{map[string]any{"name": "a-r1"}}}},
		{"items of a run in name order", map[string]any{"bays": []any{map[string]any{"name": "dt-fail-r1"}, map[string]any{"name": "dt-bay-r1"}}},
			map[string]any{"bays": []any{map[string]any{"name": "dt-bay-r1"}, map[string]any{"name": "dt-fail-r1"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := normalize(tc.in, "r1"); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("normalize(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestCompareAndKnownDifferences proves a difference is reported with its
// path, and that an entry of known_differences.yaml explains exactly the
// paths it names.
func TestCompareAndKnownDifferences(t *testing.T) {
	real := exchange{Status: 400, Body: map[string]any{"errors": []any{map[string]any{"detail": "a", "title": "a"}}}}
	simulated := exchange{Status: 400, Body: map[string]any{"errors": []any{map[string]any{"detail": "b", "title": "a"}}}}
	diffs := compare("s", real, simulated, "r")
	if len(diffs) != 1 || diffs[0].path != "body.errors[0].detail" {
		t.Fatalf("differences = %v, want one at body.errors[0].detail", diffs)
	}
	cases := []struct {
		kd   knownDifference
		want bool
	}{
		// One field of one step, exactly.
		{knownDifference{Steps: []string{"s"}, Path: "body.errors[0].detail"}, true},
		{knownDifference{Steps: []string{"other", "s"}, Path: "body.errors[0].detail"}, true},
		{knownDifference{Steps: []string{"s"}, Path: "*.detail"}, true},
		// A parent of the field, another field, another step: no.
		{knownDifference{Steps: []string{"s"}, Path: "body.errors"}, false},
		{knownDifference{Steps: []string{"s"}, Path: "body.errors[0]"}, false},
		{knownDifference{Steps: []string{"s"}, Path: "body.err"}, false},
		{knownDifference{Steps: []string{"other"}, Path: "body.errors[0].detail"}, false},
		{knownDifference{Steps: []string{"s"}, Path: "status"}, false},
		{knownDifference{Steps: []string{"s"}, Path: "*.title"}, false},
		{knownDifference{Steps: []string{"s"}, Path: "body.errors[0].detail", Releases: []string{"2025.1"}}, false},
	}
	for _, tc := range cases {
		if got := tc.kd.matches("zed", diffs[0]); got != tc.want {
			t.Errorf("%+v matches = %v, want %v", tc.kd, got, tc.want)
		}
	}
	if _, err := loadKnown("known_differences.yaml", scriptSteps()); err != nil {
		t.Fatal(err)
	}
}

// An entry must name one field of named steps: a whole step, a whole
// body, a wildcard step or a step the script lacks is refused.
func TestLoadKnownRefusesBroadEntries(t *testing.T) {
	steps := map[string]bool{"c-wait": true}
	for _, tc := range []struct{ name, yaml, want string }{
		{"whole step", "- steps: [c-wait]\n  reason: r\n", "not one field"},
		{"whole body", "- steps: [c-wait]\n  path: body\n  reason: r\n", "not one field"},
		{"wildcard step", "- steps: [\"*\"]\n  path: body.x\n  reason: r\n", "does not have"},
		{"unknown step", "- steps: [c-wiat]\n  path: body.x\n  reason: r\n", "does not have"},
		{"no steps", "- path: body.x\n  reason: r\n", "needs steps"},
		{"no reason", "- steps: [c-wait]\n  path: body.x\n", "needs steps and a reason"},
		{"deep wildcard", "- steps: [c-wait]\n  path: \"*.a.b\"\n  reason: r\n", "not one field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := loadKnown(path, steps); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one saying %q", err, tc.want)
			}
		})
	}
	ok := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(ok, []byte("- steps: [c-wait]\n  path: \"*.health_status\"\n  reason: r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadKnown(ok, steps); err != nil {
		t.Errorf("a one-field entry was refused: %v", err)
	}
}

// capiSimOptions starts the master profile with the capi stack's Glance
// images (scripts/real-magnum/capi-fixtures.json merged into the
// simulator's fixtures, as up-2025.1.sh does for the real stack) and
// operations of a few seconds, synced by a conductor on a grid of its own.
func capiSimOptions(t *testing.T) sim.Options {
	t.Helper()
	path, err := mergeFixtures(t.TempDir(), "../sim/fixtures/default.json", "../../scripts/real-magnum/capi-fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	return sim.Options{
		Profile: "master", FixturesFile: path,
		// The real driver's deletes end in DELETE_COMPLETE for seconds,
		// then the 400 while the rows go (transient-probe.py --capi).
		TransientDeleteError: true,
		HeatCreateDuration:   8 * time.Second, HeatUpdateDuration: 8 * time.Second, HeatDeleteDuration: 4 * time.Second,
		ConductorInterval: 2 * time.Second,
	}
}

// mergeFixtures writes base with every list of extra appended to it.
func mergeFixtures(dir, base, extra string) (string, error) {
	var fx, more map[string][]json.RawMessage
	for _, f := range []struct {
		path string
		into *map[string][]json.RawMessage
	}{{base, &fx}, {extra, &more}} {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(raw, f.into); err != nil {
			return "", fmt.Errorf("%s: %w", f.path, err)
		}
	}
	for k, v := range more {
		fx[k] = append(fx[k], v...)
	}
	raw, err := json.Marshal(fx)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "fixtures.json")
	return out, os.WriteFile(out, raw, 0o600)
}

// The capi script speaks the microversion both sides serve, bounds every
// poll, and only ever waits for states a Cluster API cluster reaches.
func TestCAPIScript(t *testing.T) {
	rel := releases["capi"]
	if rel.simProfile() != "master" || releases["zed"].simProfile() != "zed" {
		t.Fatalf("profiles: capi %q, zed %q; want master, zed", rel.simProfile(), releases["zed"].simProfile())
	}
	steps := rel.steps("r1")
	seen := map[string]bool{}
	for _, st := range steps {
		if seen[st.name] {
			t.Errorf("step %s twice", st.name)
		}
		seen[st.name] = true
		if st.version != rel.maxVersion {
			t.Errorf("step %s at microversion %q, want %s", st.name, st.version, rel.maxVersion)
		}
		if st.until != nil && st.timeout <= 0 {
			t.Errorf("poll step %s has no bound of its own", st.name)
		}
	}
	for _, want := range []string{"capi-c-progress", "capi-c-wait", "capi-c-nodns-wait", "capi-c-upgrade-wait", "capi-c-resize-wait", "capi-c-gone"} {
		if !seen[want] {
			t.Errorf("the capi script lacks %s", want)
		}
	}
	for _, st := range script("r1", releases["zed"]) {
		if strings.HasPrefix(st.name, "capi-") {
			t.Errorf("the Heat script has the capi step %s", st.name)
		}
	}
}

// untilReasonOrDone waits for the driver's in-progress reason or the end.
func TestUntilReasonOrDone(t *testing.T) {
	for _, tc := range []struct {
		code int
		body any
		want bool
	}{
		{200, map[string]any{"status": "CREATE_IN_PROGRESS", "status_reason": nil}, false},
		{200, map[string]any{"status": "CREATE_IN_PROGRESS", "status_reason": ""}, false},
		{200, map[string]any{"status": "CREATE_IN_PROGRESS", "status_reason": "CAPI Cluster status: x"}, true},
		{200, map[string]any{"status": "CREATE_COMPLETE", "status_reason": nil}, true},
		{200, map[string]any{"status": "UPDATE_FAILED", "status_reason": "'annotations'"}, true},
		{404, nil, true},
	} {
		if got := untilReasonOrDone(tc.code, tc.body); got != tc.want {
			t.Errorf("untilReasonOrDone(%d, %v) = %v, want %v", tc.code, tc.body, got, tc.want)
		}
	}
}

// untilAfterProgress ignores the status an operation inherits from the
// one before it, and each run of the step starts afresh.
func TestUntilAfterProgress(t *testing.T) {
	st := func(s string) map[string]any { return map[string]any{"status": s} }
	fresh := untilAfterProgress("UPDATE_COMPLETE")
	until := fresh()
	for i, tc := range []struct {
		code int
		body any
		want bool
	}{
		{200, st("UPDATE_COMPLETE"), false},
		{200, st("UPDATE_IN_PROGRESS"), false},
		{200, st("UPDATE_COMPLETE"), true},
	} {
		if got := until(tc.code, tc.body); got != tc.want {
			t.Errorf("poll %d (%v) = %v, want %v", i, tc.body, got, tc.want)
		}
	}
	again := fresh()
	if again(200, st("UPDATE_COMPLETE")) {
		t.Error("a new run of the step remembered the last run's progress")
	}
	if !again(200, st("UPDATE_FAILED")) || !again(404, nil) {
		t.Error("a failure or a 404 did not end the wait")
	}
}

// mergeFixtures appends the capi images to the simulator's own.
func TestMergeFixtures(t *testing.T) {
	path, err := mergeFixtures(t.TempDir(), "../sim/fixtures/default.json", "../../scripts/real-magnum/capi-fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"fedora-coreos-35"`, `"ubuntu-2204-kube-v1.26.11"`, `"ubuntu-2204-kube-v1.27.4"`, `"m1.nohost"`, `"testkey"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("merged fixtures lack %s", want)
		}
	}
}
