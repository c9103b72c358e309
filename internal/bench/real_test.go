package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

func TestParseOpenRC(t *testing.T) {
	c, err := parseOpenRC(strings.NewReader(`# scripts/real-magnum
export OS_AUTH_URL=http://127.0.0.1:5000/v3/ OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
export OS_USERNAME=demo OS_PASSWORD='s3cret' OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default
`))
	if err != nil {
		t.Fatal(err)
	}
	want := sim.Credentials{AuthURL: "http://127.0.0.1:5000/v3", Region: "RegionOne", UserName: "demo", Password: "s3cret",
		ProjectName: "demo", UserDomainName: "Default", ProjectDomainName: "Default"}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if _, err := parseOpenRC(strings.NewReader("export OS_USERNAME=demo\n")); err == nil {
		t.Error("an openrc without OS_AUTH_URL, OS_PASSWORD and OS_PROJECT_NAME was accepted")
	}
}

func TestKeystoneAndMagnumCounts(t *testing.T) {
	r := RealRun{Requests: map[string]int{
		"POST /identity/v3/auth/tokens": 2, "GET /identity/v3": 1,
		"GET /container-infra": 1, "GET /v1/clustertemplates/{id}": 1, "GET /v1/clusters/{id}": 10,
		"GET /v1/certificates/{id}": 3, "GET /v1/clusters/{id}/nodegroups": 10,
	}}
	if k, m := r.Keystone(), r.Magnum(); k != 3 || m != 25 {
		t.Errorf("Keystone %d, Magnum %d; want 3 and 25", k, m)
	}
	if got := r.PerBay(); got != 23 {
		t.Errorf("per-bay requests %d, want 23 (clusters, nodegroups, certificates; not discovery or the baymodel)", got)
	}
	if got := r.CAReads(); got != 3 {
		t.Errorf("CA reads %d, want 3", got)
	}
}

func TestHistoryReportsTransitions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	h := NewHistory()
	cl := func(status string, nodes int, updated string) ClusterState {
		return ClusterState{UUID: "u1", Name: "b", Status: status, NodeCount: nodes, TemplateID: "t1", UpdatedAt: updated}
	}
	h.Observe(at(0), at(0.1), []ClusterState{cl("CREATE_IN_PROGRESS", 1, "")})
	h.Observe(at(0.2), at(0.3), []ClusterState{cl("CREATE_IN_PROGRESS", 1, "")})
	h.Observe(at(20), at(20.1), []ClusterState{cl("CREATE_COMPLETE", 1, "a")})
	// The health check saves the cluster: updated_at moves, the status
	// does not.
	h.Observe(at(30), at(30.1), []ClusterState{cl("CREATE_COMPLETE", 1, "b")})
	h.Observe(at(40), at(40.1), []ClusterState{cl("UPDATE_IN_PROGRESS", 2, "c")})
	h.Observe(at(45), at(45.1), []ClusterState{cl("UPDATE_COMPLETE", 2, "d")})
	h.Observe(at(50), at(50.1), []ClusterState{cl("UPDATE_COMPLETE", 2, "e")})
	h.Observe(at(60), at(60.1), []ClusterState{cl("DELETE_IN_PROGRESS", 2, "f")})
	h.Observe(at(70), at(70.1), nil)
	h.Observe(at(70.2), at(70.3), nil)

	if u, ok := h.UUID("b"); !ok || u != "u1" {
		t.Fatalf("UUID(b) = %q, %v", u, ok)
	}
	tests := []struct {
		status       string
		after        time.Time
		want, inProg time.Time
		ok           bool
	}{
		{"CREATE_COMPLETE", at(-1), at(20), at(0), true},
		{"UPDATE_COMPLETE", at(35), at(45), at(40), true},
		// The save at 50 s changed updated_at only: no new report.
		{"UPDATE_COMPLETE", at(46), time.Time{}, at(60), false},
		{Gone, at(55), at(70), at(60), true},
	}
	for _, tt := range tests {
		got, inProg, ok := h.Reported("u1", tt.status, tt.after)
		if ok != tt.ok || !got.Equal(tt.want) || !inProg.Equal(tt.inProg) {
			t.Errorf("Reported(%s after %s) = %s, in progress %s, %v; want %s, %s, %v", tt.status, tt.after.Sub(t0),
				got.Sub(t0), inProg.Sub(t0), ok, tt.want.Sub(t0), tt.inProg.Sub(t0), tt.ok)
		}
	}
	if !h.ChangedBetween("u1", at(25), at(35)) {
		t.Error("the health check's save at 30 s is not a change in (25 s, 35 s]")
	}
	if h.ChangedBetween("u1", at(0.1), at(19)) {
		t.Error("a change reported in (0.1 s, 19 s], where the poller saw none")
	}
	if evs := h.Events()["u1"]; len(evs) != 8 {
		t.Errorf("%d events, want 8 (one per change, one for the disappearance): %+v", len(evs), evs)
	}
	h.Failed(context.DeadlineExceeded)
	if polls, errs, med, mx, last := h.Stats(); polls != 10 || errs != 1 || med != 100*time.Millisecond || mx != 100*time.Millisecond || last == "" {
		t.Errorf("Stats = %d polls, %d errors, %s, %s, %q", polls, errs, med, mx, last)
	}
}

// realRuns builds a round of runs for the table and the checks.
func realRuns(oursOverhead, peerPlan time.Duration, caReads, changed int) []RealRun {
	reqs := func(k, m int) map[string]int {
		return map[string]int{"POST /identity/v3/auth/tokens": k, "GET /v1/clusters/{id}": m}
	}
	var runs []RealRun
	for round := range 3 {
		d := time.Duration(round) * 100 * time.Millisecond
		runs = append(runs,
			RealRun{Provider: Ours, Op: OpCreate, Round: round, Bays: 1, Wall: 20*time.Second + d, Overhead: oursOverhead + d, MagnumTime: 25 * time.Second, Requests: reqs(2, 12+round)},
			RealRun{Provider: Peer, Op: OpCreate, Round: round, Bays: 1, Wall: 27 * time.Second, Overhead: 15 * time.Second, Requests: reqs(1, 11)},
			RealRun{Provider: Ours, Op: OpUpgrade, Round: round, Bays: 1, Skipped: "HTTP 400 Upgrading a cluster that uses the Magnum Heat driver is not supported."},
			RealRun{Provider: Peer, Op: OpUpgrade, Round: round, Bays: 1, Skipped: "HTTP 400 Upgrading a cluster that uses the Magnum Heat driver is not supported."},
			RealRun{Provider: Ours, Op: PlanOp(10), Round: round, Bays: 10, Wall: 5 * time.Second, Changed: changed,
				Requests: map[string]int{"POST /identity/v3/auth/tokens": 1, "GET /v1/clusters/{id}": 10, "GET /v1/certificates/{id}": caReads, "GET /v1/clustertemplates/{id}": 1}},
			RealRun{Provider: Peer, Op: PlanOp(10), Round: round, Bays: 10, Wall: peerPlan, Requests: reqs(1, 21)},
		)
	}
	return runs
}

func TestRealTable(t *testing.T) {
	rows := FoldRealRuns(realRuns(800*time.Millisecond, 6*time.Second, 0, 0), []string{OpCreate, OpResize, OpUpgrade, OpDestroy, PlanOp(1), PlanOp(10)})
	if len(rows) != 3 {
		t.Fatalf("%d rows, want create, upgrade and the plan of 10 (the operations that ran)", len(rows))
	}
	var b bytes.Buffer
	WriteRealTable(&b, rows)
	want := `| operation | ours: wall / overhead / Keystone+Magnum requests | peer: wall / overhead / Keystone+Magnum requests |
|---|---|---|
| create | 20.10 s (max 20.20 s) / 0.90 s (max 1.00 s) / 2+12…14 | 27.00 s (max 27.00 s) / 15.00 s (max 15.00 s) / 1+11 |
| upgrade | skipped: HTTP 400 Upgrading a cluster that uses the Magnum Heat driver is not supported. | skipped: HTTP 400 Upgrading a cluster that uses the Magnum Heat driver is not supported. |
| plan, 10 bays | 5.00 s (max 5.00 s) / 1+11 | 6.00 s (max 6.00 s) / 1+21 |
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteRealEndpoints(&b, rows[:1])
	if !strings.Contains(b.String(), "| create | GET /v1/clusters/{id} ×13; POST /identity/v3/auth/tokens ×2 | GET /v1/clusters/{id} ×11; POST /identity/v3/auth/tokens ×1 |") {
		t.Errorf("endpoints table:\n%s", b.String())
	}
}

func TestRealChecksJudge(t *testing.T) {
	ops := []string{OpCreate, OpUpgrade, PlanOp(10)}
	verdicts := func(runs []RealRun) map[string]Check {
		out := map[string]Check{}
		for _, c := range RealChecks(FoldRealRuns(runs, ops)) {
			out[c.Target] = c
		}
		return out
	}
	const (
		overhead = "create: overhead (terraform's end − Magnum's first report) ≤ 1.00 s median"
		budget   = "create: Magnum requests ≤ peer's + one per conductor period (10s) of the create"
		speed    = "plan, 10 bays: no slower than the peer (median wall)"
		perBay   = "plan, 10 bays: ≤ 2 Magnum requests per bay (clusters, nodegroups, certificates)"
		ca       = "plan, 10 bays: no CA read unless the bay changed"
		upgrade  = "upgrade: overhead (no target)"
	)
	good := verdicts(realRuns(800*time.Millisecond, 6*time.Second, 0, 0))
	for _, name := range []string{overhead, budget, speed, perBay, ca} {
		if c, ok := good[name]; !ok || !c.Met || c.Info {
			t.Errorf("%q on good figures: %+v (present %v)", name, c, ok)
		}
	}
	if c := good[upgrade]; !c.Info || !strings.Contains(c.Got, "not supported") {
		t.Errorf("a skipped upgrade is not reported with the cloud's answer: %+v", c)
	}
	// Ours 13 Magnum requests per create against the peer's 11 plus 3
	// periods of a 25 s create: within 14.
	if c := good[budget]; !strings.Contains(c.Got, "budget 14") {
		t.Errorf("create budget: %s", c.Got)
	}

	bad := verdicts(realRuns(1500*time.Millisecond, 4*time.Second, 2, 1))
	for _, name := range []string{overhead, speed, ca} {
		if c := bad[name]; c.Met {
			t.Errorf("%q met on missing figures: %s", name, c.Got)
		}
	}
	// CA reads on as many bays as changed are allowed.
	if c := verdicts(realRuns(800*time.Millisecond, 6*time.Second, 2, 2))[ca]; !c.Met {
		t.Errorf("CA reads of changed bays judged a miss: %s", c.Got)
	}
	// A peer that never ran cannot be beaten.
	var oursOnly []RealRun
	for _, r := range realRuns(800*time.Millisecond, 6*time.Second, 0, 0) {
		if r.Provider == Ours {
			oursOnly = append(oursOnly, r)
		}
	}
	if c := verdicts(oursOnly)[speed]; c.Met || !strings.Contains(c.Got, "missing") {
		t.Errorf("plan speed without the peer's runs: %+v", c)
	}
}

// TestPollerThroughRelay runs the real benchmark's machinery against the
// simulator standing in for the real cloud: a client through the counting
// proxy (the relay) is counted per service, and the poller, straight to
// Magnum as the admin, sees the cluster the client made go through its
// states.
func TestPollerThroughRelay(t *testing.T) {
	// The simulator's clock moves only when the test says so: the cluster
	// stays CREATE_IN_PROGRESS until the poller has listed it so, however
	// slowly a loaded machine runs the poller.
	clock := &stepClock{t: time.Now()}
	cloud, err := sim.Start(sim.Options{HeatCreateDuration: 300 * time.Millisecond, ConductorInterval: 200 * time.Millisecond, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer cloud.Close()
	relay, err := sim.StartRelay(sim.RelayOptions{KeystoneURL: cloud.AuthURL(),
		Users: map[string]sim.Credentials{"demo": cloud.Credentials("demo"), "admin": cloud.Credentials("admin")}})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := newOSClient(ctx, cloud.Credentials("admin"))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHistory()
	pollCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); Poll(pollCtx, admin, 50*time.Millisecond, h) }()
	defer func() { stop(); <-done }()

	relay.ResetCounters()
	user, err := newOSClient(ctx, relay.Credentials("demo"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(user.magnum, relay.URL()) {
		t.Fatalf("the catalog through the proxy points at %s, not at the proxy %s", user.magnum, relay.URL())
	}
	var tmpl struct{ UUID string }
	if code, raw, err := user.call(ctx, http.MethodPost, "/clustertemplates", map[string]any{"name": "t", "coe": "kubernetes",
		"image_id": "fedora-coreos-35", "external_network_id": "public", "keypair_id": "testkey", "flavor_id": "m1.small"}, &tmpl); err != nil || code != http.StatusCreated {
		t.Fatalf("template: %d %v %s", code, err, raw)
	}
	if code, raw, err := user.call(ctx, http.MethodPost, "/clusters", map[string]any{"name": "polled", "cluster_template_id": tmpl.UUID,
		"master_count": 1, "node_count": 1}, nil); err != nil || code != http.StatusAccepted {
		t.Fatalf("cluster: %d %v %s", code, err, raw)
	}
	run := RealRun{Requests: relay.Counters()}
	if run.Keystone() != 1 || run.Magnum() != 2 {
		t.Errorf("proxy counted %d Keystone and %d Magnum requests (%v), want 1 and 2", run.Keystone(), run.Magnum(), run.Requests)
	}
	for {
		if uuid, ok := h.UUID("polled"); ok {
			// From the zero time: the listing that first showed the new
			// cluster may have been sent before the POST was.
			if _, inProg, done := h.Reported(uuid, "CREATE_COMPLETE", time.Time{}); done {
				t.Fatalf("the poller saw the cluster complete before the simulator's clock moved: %+v", h.Events())
			} else if !inProg.IsZero() {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("the poller never saw the cluster in progress: %+v", h.Events())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Past Heat's 300 ms and the next conductor sync.
	clock.Advance(time.Second)
	for {
		uuid, _ := h.UUID("polled")
		if rep, inProg, ok := h.Reported(uuid, "CREATE_COMPLETE", time.Time{}); ok {
			if inProg.IsZero() || !rep.After(inProg) {
				t.Errorf("reported %s, in progress %s: the history lost CREATE_IN_PROGRESS", rep, inProg)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the poller never saw the cluster complete: %+v", h.Events())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if polls, errs, _, _, last := h.Stats(); polls == 0 || errs != 0 {
		t.Errorf("%d polls, %d failed (%s)", polls, errs, last)
	}
}

func TestNoticeAndTail(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	get := func(after time.Duration, uuid string) sim.Request {
		return sim.Request{Time: t0.Add(after), Method: "GET", Route: "GET /v1/clusters/{id}", Path: "/container-infra/v1/clusters/" + uuid}
	}
	reqs := []sim.Request{
		get(-300*time.Millisecond, "u1"),
		get(100*time.Millisecond, "u2"), // another bay
		{Time: t0.Add(200 * time.Millisecond), Method: "GET", Route: "GET /v1/certificates/{id}", Path: "/container-infra/v1/certificates/u1"},
		get(700*time.Millisecond, "u1"),
		get(1700*time.Millisecond, "u1"),
	}
	notice, tail, ok := noticeAndTail(reqs, "u1", t0, t0.Add(1200*time.Millisecond))
	if !ok || notice != 700*time.Millisecond || tail != 500*time.Millisecond {
		t.Errorf("notice %s, tail %s, %v; want the GET of u1 at 0.7 s: 0.7 s and 0.5 s", notice, tail, ok)
	}
	if _, _, ok := noticeAndTail(reqs[:3], "u1", t0, t0.Add(time.Second)); ok {
		t.Error("a GET from before the report counted as the one that noticed it")
	}
}

func TestParseRealOps(t *testing.T) {
	tests := []struct {
		in      string
		want    RealOps
		wantErr bool
	}{
		{"", RealOps{Lifecycle: true, Plans: true}, false},
		{"all", RealOps{Lifecycle: true, Plans: true}, false},
		{"plan", RealOps{Plans: true}, false},
		{"lifecycle", RealOps{Lifecycle: true}, false},
		{"lifecycle,plan", RealOps{Lifecycle: true, Plans: true}, false},
		{"plans", RealOps{Plans: true}, false},
		{"plan,upgrade", RealOps{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRealOps(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRealOps(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSetupArgs(t *testing.T) {
	if got := strings.Join(setupArgs("apply", 5), " "); got != "apply -auto-approve -no-color -parallelism=5" {
		t.Errorf("setupArgs(apply, 5) = %q", got)
	}
	if got := strings.Join(setupArgs("destroy", 0), " "); got != "destroy -auto-approve -no-color" {
		t.Errorf("setupArgs(destroy, 0) = %q: 0 must leave terraform's default", got)
	}
}

func TestRetry(t *testing.T) {
	boom := errors.New("409 Conflict")
	tests := []struct {
		name      string
		failFirst int // tries that fail before one succeeds
		attempts  int
		wantTries int
		wantErr   string
	}{
		{"first try", 0, 3, 1, ""},
		{"third try", 2, 3, 3, ""},
		{"every try fails", 5, 3, 3, "3 tries failed, the last: 409 Conflict"},
		{"one try", 1, 1, 1, "1 tries failed, the last: 409 Conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries, pauses := 0, 0
			err := retry(context.Background(), tt.attempts, time.Millisecond, func(attempt int) error {
				tries++
				if attempt != tries {
					t.Errorf("attempt %d on try %d", attempt, tries)
				}
				if tries <= tt.failFirst {
					return boom
				}
				return nil
			}, func(string, ...any) { pauses++ })
			if tries != tt.wantTries {
				t.Errorf("%d tries, want %d", tries, tt.wantTries)
			}
			if pauses != tries-1 {
				t.Errorf("%d pauses announced for %d tries: one between tries, none after the last", pauses, tries)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && fmt.Sprint(err) != tt.wantErr:
				t.Errorf("error %v, want %q", err, tt.wantErr)
			case tt.wantErr != "" && !errors.Is(err, boom):
				t.Errorf("the error %v does not wrap the last try's", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tries := 0
	err := retry(ctx, 3, time.Hour, func(int) error { tries++; return boom }, func(string, ...any) {})
	if tries != 1 || err == nil || !strings.Contains(err.Error(), "stopped after 1 failed tries") {
		t.Errorf("cancelled: %d tries, error %v; want 1 try and a stop", tries, err)
	}
}

func TestBaySummary(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	h := NewHistory()
	cl := func(uuid, name, status, reason string) ClusterState {
		return ClusterState{UUID: uuid, Name: name, Status: status, StatusReason: reason}
	}
	h.Observe(t0, t0, []ClusterState{
		cl("u0", "p-0", "CREATE_IN_PROGRESS", ""), cl("u1", "p-1", "CREATE_IN_PROGRESS", ""),
		cl("u2", "p-2", "CREATE_IN_PROGRESS", ""), cl("u3", "p-3", "CREATE_IN_PROGRESS", ""),
		cl("u4", "p-4", "CREATE_IN_PROGRESS", ""), cl("x", "other-0", "CREATE_FAILED", "not ours"),
	})
	h.Observe(t0.Add(time.Second), t0.Add(time.Second), []ClusterState{
		cl("u0", "p-0", "CREATE_COMPLETE", "Stack CREATE completed successfully"),
		cl("u1", "p-1", "CREATE_FAILED", "Failed to list services"),
		cl("u2", "p-2", "CREATE_FAILED", "Failed to list services"),
		cl("u3", "p-3", "CREATE_FAILED", "ConnectFailure"),
		cl("x", "other-0", "CREATE_FAILED", "not ours"),
	})
	latest := h.Latest()
	if got := latest["p-1"]; got.Status != "CREATE_FAILED" || got.StatusReason != "Failed to list services" {
		t.Fatalf("Latest()[p-1] = %+v", got)
	}
	if got := latest["p-4"].Status; got != Gone {
		t.Fatalf("Latest()[p-4].Status = %q, want %s (the last listing lacked it)", got, Gone)
	}
	tests := []struct {
		prefix string
		n      int
		want   string
	}{
		{"p", 6, `of 6 bays, 1 CREATE_COMPLETE, 3 CREATE_FAILED (2: "Failed to list services"), 2 absent`},
		{"p", 1, `of 1 bays, 1 CREATE_COMPLETE`},
		{"q", 2, `of 2 bays, 2 absent`},
	}
	for _, tt := range tests {
		if got := baySummary(latest, tt.prefix, tt.n); got != tt.want {
			t.Errorf("baySummary(%s, %d) = %s\nwant %s", tt.prefix, tt.n, got, tt.want)
		}
	}
}

func TestRetryArgs(t *testing.T) {
	tests := []struct {
		args    string
		attempt int
		want    string
	}{
		{"apply -auto-approve -parallelism=5", 1, "apply -auto-approve -parallelism=5"},
		{"apply -auto-approve -parallelism=5", 2, "apply -auto-approve -parallelism=5 -refresh=false"},
		{"destroy -auto-approve", 3, "destroy -auto-approve -refresh=false"},
		{"apply -refresh-only -auto-approve", 2, "apply -refresh-only -auto-approve"},
		{"apply -refresh=false", 2, "apply -refresh=false"},
	}
	for _, tt := range tests {
		args := strings.Fields(tt.args)
		if got := strings.Join(retryArgs(args, tt.attempt), " "); got != tt.want {
			t.Errorf("retryArgs(%q, %d) = %q, want %q", tt.args, tt.attempt, got, tt.want)
		}
		if strings.Join(args, " ") != tt.args {
			t.Errorf("retryArgs changed its argument to %q", args)
		}
	}
}

func TestCompleteButTainted(t *testing.T) {
	state := []byte(`{"version": 4, "resources": [
  {"mode": "managed", "type": "openstack_containerinfra_clustertemplate_v1", "name": "v123",
   "instances": [{"status": "tainted", "attributes": {"id": "t1"}}]},
  {"mode": "managed", "type": "openstack_containerinfra_cluster_v1", "name": "b", "instances": [
    {"index_key": 0, "status": "tainted", "attributes": {"id": "u0"}},
    {"index_key": 1, "status": "tainted", "attributes": {"id": "u1"}},
    {"index_key": 2, "attributes": {"id": "u2"}},
    {"index_key": 3, "status": "tainted", "attributes": {"id": "u3-old"}},
    {"index_key": 4, "status": "tainted", "attributes": {"id": "u4"}}
  ]},
  {"mode": "data", "type": "magnum_bay", "name": "b", "instances": [{"index_key": 5, "status": "tainted", "attributes": {"id": "u5"}}]}
]}`)
	listing := map[string]ClusterState{
		"p-0": {UUID: "u0", Status: "CREATE_COMPLETE"}, // the provider gave up on it: untaint
		"p-1": {UUID: "u1", Status: "CREATE_FAILED"},   // failed: the next apply replaces it
		"p-2": {UUID: "u2", Status: "CREATE_COMPLETE"}, // not tainted
		"p-3": {UUID: "u3", Status: "CREATE_COMPLETE"}, // another cluster of that name
		"p-5": {UUID: "u5", Status: "CREATE_COMPLETE"}, // a data source is not a bay
	}
	got, err := completeButTainted(state, "p", listing)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"openstack_containerinfra_cluster_v1.b[0]"}; !slices.Equal(got, want) {
		t.Errorf("completeButTainted = %q, want %q", got, want)
	}
	ours := []byte(`{"version": 4, "resources": [{"mode": "managed", "type": "magnum_bay", "name": "b",
  "instances": [{"index_key": 7, "status": "tainted", "attributes": {"id": "u7"}}]}]}`)
	got, err = completeButTainted(ours, "p", map[string]ClusterState{"p-7": {UUID: "u7", Status: "CREATE_COMPLETE"}})
	if err != nil || !slices.Equal(got, []string{"magnum_bay.b[7]"}) {
		t.Errorf("completeButTainted(ours) = %q, %v; want magnum_bay.b[7]", got, err)
	}
	if _, err := completeButTainted([]byte("not json"), "p", listing); err == nil {
		t.Error("a state that is not JSON was read")
	}
}

func TestTFErrors(t *testing.T) {
	out := `openstack_containerinfra_cluster_v1.b[3]: Refreshing state... [id=u3]
╷
│ Error: Error getting kubeconfig for openstack_containerinfra_cluster_v1 u3: Resource not found
│ 
│   with openstack_containerinfra_cluster_v1.b[3],
╵
╷
│ Error: Error getting kubeconfig for openstack_containerinfra_cluster_v1 u3: Resource not found
╵
╷
│ Error: Error waiting for openstack_containerinfra_cluster_v1 u9 to become ready
╵
`
	want := "2× Error: Error getting kubeconfig for openstack_containerinfra_cluster_v1 u3: Resource not found; 1× Error: Error waiting for openstack_containerinfra_cluster_v1 u9 to become ready"
	if got := tfErrors(out, "exit status 1"); got != want {
		t.Errorf("tfErrors = %q\nwant %q", got, want)
	}
	if got := tfErrors("Apply complete!", "exit status 1"); got != "exit status 1" {
		t.Errorf("tfErrors without errors = %q, want the fallback", got)
	}
}

func TestInProgress(t *testing.T) {
	listing := map[string]ClusterState{
		"p-0": {Status: "CREATE_IN_PROGRESS"}, "p-1": {Status: "CREATE_COMPLETE"},
		"p-2": {Status: "DELETE_IN_PROGRESS"}, "p-3": {Status: "CREATE_FAILED"},
		"p-9": {Status: "CREATE_IN_PROGRESS"}, "q-0": {Status: "CREATE_IN_PROGRESS"},
	}
	tests := []struct {
		prefix string
		n      int
		want   int
	}{
		{"p", 4, 2}, // p-9 is beyond n, q-0 another prefix
		{"p", 10, 3},
		{"p", 0, 0},
		{"r", 5, 0}, // absent bays are not in progress
	}
	for _, tt := range tests {
		if got := inProgress(listing, tt.prefix, tt.n); got != tt.want {
			t.Errorf("inProgress(%s, %d) = %d, want %d", tt.prefix, tt.n, got, tt.want)
		}
	}
}

func TestParsePlanSetup(t *testing.T) {
	for in, want := range map[string]PlanSetup{"": SetupShared, "shared": SetupShared, "own": SetupOwn} {
		if got, err := ParsePlanSetup(in); err != nil || got != want {
			t.Errorf("ParsePlanSetup(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParsePlanSetup("import"); err == nil {
		t.Error(`ParsePlanSetup("import") was accepted`)
	}
}

func TestSharedPlanConfig(t *testing.T) {
	set := &sharedSet{prefix: "rbabc-s3", template: "t-uuid", bays: []string{"u0", "u1", "u2"}}
	tests := []struct {
		provider, tmplType, bayType string
		// Magnum's default, which the bench's baymodel has: the peer's
		// floating_ip_enabled left out means false.
		floatingIP string
	}{
		{Ours, "magnum_baymodel", "magnum_bay", ""},
		{Peer, "openstack_containerinfra_clustertemplate_v1", "openstack_containerinfra_cluster_v1", "true"},
	}
	for _, tt := range tests {
		src := []byte(sharedPlanConfig(tt.provider, set))
		file, diags := hclsyntax.ParseConfig(src, "main.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: the configuration does not parse: %s\n%s", tt.provider, diags, src)
		}
		imports, counts, names, fips := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
		for _, block := range file.Body.(*hclsyntax.Body).Blocks {
			attrs := block.Body.Attributes
			text := func(name string) string {
				if a, ok := attrs[name]; ok {
					return string(a.Expr.Range().SliceBytes(src))
				}
				return ""
			}
			switch {
			case block.Type == "import":
				imports[text("to")] = text("id")
			case block.Type == "resource" && len(block.Labels) == 2:
				addr := block.Labels[0] + "." + block.Labels[1]
				counts[addr], names[addr], fips[addr] = text("count"), text("name"), text("floating_ip_enabled")
			}
		}
		want := map[string]string{
			tt.tmplType + ".v123": `"t-uuid"`,
			tt.bayType + ".b[0]":  `"u0"`, tt.bayType + ".b[1]": `"u1"`, tt.bayType + ".b[2]": `"u2"`,
		}
		if !maps.Equal(imports, want) {
			t.Errorf("%s: import blocks (to = id) %v, want %v", tt.provider, imports, want)
		}
		// The imports adopt what the configuration describes: as many bays
		// as the set, under the names the bench gave them.
		if got := counts[tt.bayType+".b"]; got != "3" {
			t.Errorf("%s: count = %q, want 3", tt.provider, got)
		}
		if got := names[tt.bayType+".b"]; got != `"rbabc-s3-${count.index}"` {
			t.Errorf("%s: bay name = %s, want the set's prefix and the index", tt.provider, got)
		}
		if got := names[tt.tmplType+".v123"]; got != `"rbabc-s3-v123"` {
			t.Errorf("%s: baymodel name = %s", tt.provider, got)
		}
		if got := fips[tt.tmplType+".v123"]; got != tt.floatingIP {
			t.Errorf("%s: baymodel floating_ip_enabled = %q, want %q", tt.provider, got, tt.floatingIP)
		}
	}
}

func TestCreateVerdict(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		status  string
		since   time.Duration
		want    waitVerdict
		wantErr bool
	}{
		{"complete", 200, "CREATE_COMPLETE", time.Minute, waitReached, false},
		{"failed", 200, "CREATE_FAILED", time.Minute, waitFailed, false},
		{"in progress", 200, "CREATE_IN_PROGRESS", time.Minute, waitPending, false},
		{"404 before the conductor inserts the row", 404, "", 30 * time.Second, waitPending, false},
		{"404 at the end of the grace", 404, "", notFoundGrace, waitPending, false},
		{"404 past the grace", 404, "", notFoundGrace + time.Second, waitPending, true},
		{"Zed's 400 before the nodegroups exist", 400, "", time.Minute, waitPending, false},
		{"a loaded API", 503, "", time.Minute, waitPending, false},
		{"forbidden", 403, "", time.Minute, waitPending, true},
		{"deleted under the bench", 200, "DELETE_IN_PROGRESS", time.Minute, waitPending, true},
	}
	for _, tt := range tests {
		got, err := createVerdict(tt.code, tt.status, tt.since)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: createVerdict(%d, %q, %s) = %d, %v; want %d, error %v", tt.name, tt.code, tt.status, tt.since, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDeleteVerdict(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		status  string
		want    waitVerdict
		wantErr bool
	}{
		{"gone", 404, "", waitReached, false},
		{"in progress", 200, "DELETE_IN_PROGRESS", waitPending, false},
		{"not picked up yet", 200, "CREATE_COMPLETE", waitPending, false},
		{"failed", 200, "DELETE_FAILED", waitFailed, false},
		{"Zed's 400 once the nodegroups are gone", 400, "", waitPending, false},
		{"a loaded API", 500, "", waitPending, false},
		{"forbidden", 403, "", waitPending, true},
	}
	for _, tt := range tests {
		got, err := deleteVerdict(tt.code, tt.status)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: deleteVerdict(%d, %q) = %d, %v; want %d, error %v", tt.name, tt.code, tt.status, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPlanChanges(t *testing.T) {
	plan := []byte(`{"format_version": "1.2", "resource_changes": [
  {"address": "magnum_bay.b[0]", "change": {"actions": ["no-op"], "importing": {"id": "u0"},
    "before": {"id": "u0", "node_count": 1}, "after": {"id": "u0", "node_count": 1}, "after_unknown": {}}},
  {"address": "openstack_containerinfra_cluster_v1.b[1]", "change": {"actions": ["update"], "importing": {"id": "u1"},
    "before": {"id": "u1", "labels": {"a": "1"}, "merge_labels": null, "node_count": 1},
    "after": {"id": "u1", "labels": {}, "merge_labels": false, "node_count": 1}, "after_unknown": {"updated_at": true, "node_count": false}}},
  {"address": "magnum_bay.b[2]", "change": {"actions": ["create"], "before": null,
    "after": {"name": "p-2"}, "after_unknown": {"id": true}}},
  {"address": "data.x.y", "change": {"actions": ["read"]}}
]}`)
	got, err := planChanges(plan)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"openstack_containerinfra_cluster_v1.b[1] (update: labels, merge_labels, updated_at)",
		"magnum_bay.b[2] (create: id, name)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("planChanges =\n%q\nwant\n%q", got, want)
	}
	if got, err := planChanges([]byte(`{"resource_changes": []}`)); err != nil || len(got) != 0 {
		t.Errorf("an empty plan: %q, %v", got, err)
	}
	if _, err := planChanges([]byte("Error: no plan")); err == nil {
		t.Error("output that is not JSON was read as a plan")
	}
}

// stepClock is a clock that moves only by Advance.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
