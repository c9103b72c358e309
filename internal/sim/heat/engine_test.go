package heat

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestEngine(t *testing.T, cfg Config) (*Engine, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	cfg.Now = clock.Now
	return NewEngine(cfg), clock
}

func mustStack(t *testing.T, e *Engine, id string) *Stack {
	t.Helper()
	st, err := e.Stack(id)
	if err != nil {
		t.Fatalf("Stack(%s): %v", id, err)
	}
	return st
}

func TestStackName(t *testing.T) {
	tests := []struct {
		cluster, wantPrefix string
	}{
		{"k8s", "k8s-"},
		{"My_Cluster.v1", "my-cluster-v1-"},
		{strings.Repeat("a", 40), strings.Repeat("a", 30) + "-"},
	}
	shortID := regexp.MustCompile(`^[a-z2-7]{12}$`)
	for _, tt := range tests {
		got := StackName(tt.cluster)
		if !strings.HasPrefix(got, tt.wantPrefix) || !shortID.MatchString(strings.TrimPrefix(got, tt.wantPrefix)) {
			t.Errorf("StackName(%q) = %q, want %q + 12 base32 characters", tt.cluster, got, tt.wantPrefix)
		}
	}
	if StackName("x") == StackName("x") {
		t.Error("two stack names for the same cluster are equal; the short id must be random")
	}
}

func TestCreate_progressesWithTheClock(t *testing.T) {
	e, clock := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{
		Name:       "k8s-abc",
		Parameters: map[string]string{"number_of_masters": "2", "number_of_minions": "3", "kube_tag": "v1.23.3-rancher1"},
		Duration:   10 * time.Second,
	})
	if st.Status != "CREATE_IN_PROGRESS" || st.StatusReason != "Stack CREATE started" {
		t.Fatalf("initial status = %s %q", st.Status, st.StatusReason)
	}
	if done, total := st.Progress(); done != 0 || total == 0 {
		t.Errorf("initial progress = %d/%d, want 0/N", done, total)
	}
	if st.Outputs != nil {
		t.Errorf("outputs before completion: %v", st.Outputs)
	}

	clock.Advance(5 * time.Second)
	mid := mustStack(t, e, st.ID)
	done, total := mid.Progress()
	if mid.Status != "CREATE_IN_PROGRESS" || done == 0 || done >= total {
		t.Errorf("halfway: %s with progress %d/%d, want IN_PROGRESS with partial progress", mid.Status, done, total)
	}
	if r, _ := mid.Resource("network"); r.Status != "CREATE_COMPLETE" {
		t.Errorf("network halfway = %s, want CREATE_COMPLETE (created first)", r.Status)
	}
	if r, _ := mid.Resource("kube_minions"); r.Status == "CREATE_COMPLETE" {
		t.Errorf("kube_minions complete halfway through")
	}

	clock.Advance(5 * time.Second)
	end := mustStack(t, e, st.ID)
	if end.Status != "CREATE_COMPLETE" || end.StatusReason != "Stack CREATE completed successfully" {
		t.Fatalf("final status = %s %q", end.Status, end.StatusReason)
	}
	if done, total := end.Progress(); done != total {
		t.Errorf("final progress = %d/%d", done, total)
	}
	wantOutputs := map[string]int{"kube_masters": 2, "kube_masters_private": 2, "kube_minions": 3, "kube_minions_private": 3}
	for key, n := range wantOutputs {
		v, ok := end.Output(key)
		if ips, _ := v.([]string); !ok || len(ips) != n {
			t.Errorf("output %s = %v, want %d addresses", key, v, n)
		}
	}
	if v, _ := end.Output("api_address"); v != "127.0.0.1" {
		t.Errorf("api_address = %v, want bare 127.0.0.1", v)
	}
	for key, want := range map[string]string{"kube_version": "v1.23.3-rancher1", "number_of_minions": "3", "OS::stack_name": "k8s-abc", "flannel_network_cidr": "10.100.0.0/16"} {
		if got := end.Parameters[key]; got != want {
			t.Errorf("parameter %s = %q, want %q", key, got, want)
		}
	}
	server, ok := end.Resource("kube_masters.1.kube-master")
	if !ok || server.Type != "OS::Nova::Server" || server.Depth != 2 || server.ParentResource != "1" || server.PhysicalID == "" {
		t.Errorf("second master server = %+v (found %v)", server, ok)
	}
}

func TestCreate_defaultParametersIncludeKubeVersion(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{Name: "plain"})
	if st.Parameters["kube_version"] == "" || st.Parameters["number_of_minions"] != "1" {
		t.Errorf("parameters lack template defaults: kube_version=%q number_of_minions=%q",
			st.Parameters["kube_version"], st.Parameters["number_of_minions"])
	}
}

func TestCreate_failureInjection(t *testing.T) {
	const reason = `Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`
	wantStack := "Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: " + reason

	tests := []struct {
		name   string
		inject func(e *Engine) string // returns stack id
	}{
		{
			name: "by name before the stack exists",
			inject: func(e *Engine) string {
				e.InjectFaultByName("fail", Fault{Resource: "kube-master", Reason: reason})
				e.CreateStack("p1", StackSpec{Name: "ok-stack", Duration: 10 * time.Second})
				return e.CreateStack("p1", StackSpec{Name: "will-fail-1", Duration: 10 * time.Second}).ID
			},
		},
		{
			name: "on an existing stack by path",
			inject: func(e *Engine) string {
				st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: 10 * time.Second})
				if err := e.InjectFault(st.ID, Fault{Resource: "kube_masters.0.kube-master", Reason: reason}); err != nil {
					t.Fatal(err)
				}
				return st.ID
			},
		},
		{
			name: "on a running create, by bare name",
			inject: func(e *Engine) string {
				st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: 10 * time.Second})
				if err := e.InjectFault(st.ID, Fault{Resource: "kube-master", Reason: reason}); err != nil {
					t.Fatal(err)
				}
				return st.ID
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newTestEngine(t, Config{})
			id := tt.inject(e)
			clock.Advance(10 * time.Second)
			st := mustStack(t, e, id)
			if st.Status != "CREATE_FAILED" || st.StatusReason != wantStack {
				t.Fatalf("stack = %s %q\nwant CREATE_FAILED %q", st.Status, st.StatusReason, wantStack)
			}
			want := map[string]string{
				"kube_masters":               "ResourceInError: resources.kube_masters.resources[0].resources.kube-master: " + reason,
				"kube_masters.0":             "ResourceInError: resources[0].resources.kube-master: " + reason,
				"kube_masters.0.kube-master": "ResourceInError: resources.kube-master: " + reason,
			}
			var failed []string
			for _, r := range st.Failed() {
				failed = append(failed, r.Path())
				if w, ok := want[r.Path()]; ok && r.StatusReason != w {
					t.Errorf("%s reason = %q, want %q", r.Path(), r.StatusReason, w)
				}
			}
			if got := strings.Join(failed, ","); got != "kube_masters,kube_masters.0,kube_masters.0.kube-master" {
				t.Errorf("failed resources = %s", got)
			}
			if r, _ := st.Resource("kube_minions"); r.Status != "INIT_COMPLETE" {
				t.Errorf("kube_minions = %s, want INIT_COMPLETE (never started)", r.Status)
			}
			if st.Outputs != nil {
				t.Errorf("a failed create has outputs: %v", st.Outputs)
			}
			// Time moving on changes nothing.
			clock.Advance(time.Hour)
			if again := mustStack(t, e, id); again.Status != "CREATE_FAILED" {
				t.Errorf("status later = %s", again.Status)
			}
		})
	}
}

func TestInjectFault_unknownResource(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{Name: "k8s"})
	if err := e.InjectFault(st.ID, Fault{Resource: "nope"}); !errors.Is(err, ErrResourceNotFound) {
		t.Errorf("err = %v, want ErrResourceNotFound", err)
	}
	if err := e.InjectFault("missing", Fault{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestCreate_timeout(t *testing.T) {
	tests := []struct {
		name     string
		duration time.Duration
		fault    *Fault
	}{
		{name: "operation longer than timeout_mins", duration: 5 * time.Minute},
		{name: "injected timeout", duration: 10 * time.Second, fault: &Fault{Timeout: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One Heat minute lasts one second, as the simulator runs it.
			e, clock := newTestEngine(t, Config{MinuteLength: time.Second})
			st := e.CreateStack("p1", StackSpec{Name: "slow", TimeoutMins: 2, Duration: tt.duration})
			if tt.fault != nil {
				if err := e.InjectFault(st.ID, *tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(1999 * time.Millisecond)
			if got := mustStack(t, e, st.ID); got.Status != "CREATE_IN_PROGRESS" {
				t.Fatalf("before timeout: %s", got.Status)
			}
			clock.Advance(time.Millisecond)
			got := mustStack(t, e, st.ID)
			if got.Status != "CREATE_FAILED" || got.StatusReason != "Create timed out" {
				t.Fatalf("after timeout: %s %q", got.Status, got.StatusReason)
			}
			aborted := 0
			for _, r := range got.Failed() {
				if !strings.HasPrefix(r.StatusReason, "CREATE aborted (") || !strings.HasSuffix(r.StatusReason, "Timed out)") {
					t.Errorf("%s reason = %q", r.Path(), r.StatusReason)
				}
				aborted++
			}
			if aborted == 0 {
				t.Error("no resource was aborted by the timeout")
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	e, clock := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: time.Second})
	if err := e.UpdateStack(st.ID, map[string]string{"number_of_minions": "3"}, time.Second); !errors.Is(err, ErrActionInProgress) {
		t.Fatalf("update during create: err = %v, want ErrActionInProgress", err)
	}
	clock.Advance(time.Second)

	if err := e.UpdateStack(st.ID, map[string]string{"number_of_minions": "3"}, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	mid := mustStack(t, e, st.ID)
	if mid.Status != "UPDATE_IN_PROGRESS" {
		t.Fatalf("status = %s", mid.Status)
	}
	if r, _ := mid.Resource("kube_minions"); r.Status != "UPDATE_IN_PROGRESS" {
		t.Errorf("kube_minions = %s, want UPDATE_IN_PROGRESS", r.Status)
	}
	if r, _ := mid.Resource("kube_minions.0.kube-minion"); r.Status != "CREATE_COMPLETE" {
		t.Errorf("existing minion = %s, want untouched CREATE_COMPLETE", r.Status)
	}
	if v, _ := mid.Output("kube_minions"); len(v.([]string)) != 1 {
		t.Errorf("outputs changed before the update finished: %v", v)
	}

	clock.Advance(2 * time.Second)
	end := mustStack(t, e, st.ID)
	if end.Status != "UPDATE_COMPLETE" || end.StatusReason != "Stack UPDATE completed successfully" {
		t.Fatalf("status = %s %q", end.Status, end.StatusReason)
	}
	if v, _ := end.Output("kube_minions"); len(v.([]string)) != 3 {
		t.Errorf("kube_minions = %v, want 3 addresses", v)
	}
	if r, ok := end.Resource("kube_minions.2.kube-minion"); !ok || r.Status != "CREATE_COMPLETE" {
		t.Errorf("new minion = %+v", r)
	}
	if end.UpdatedTime.IsZero() {
		t.Error("updated_time not set")
	}

	// Scale down removes members.
	if err := e.UpdateStack(st.ID, map[string]string{"number_of_minions": "1"}, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	down := mustStack(t, e, st.ID)
	if _, ok := down.Resource("kube_minions.1"); ok || down.Status != "UPDATE_COMPLETE" {
		t.Errorf("after scale down: status %s, member 1 still present=%v", down.Status, ok)
	}
}

func TestUpdate_failureThenRetry(t *testing.T) {
	e, clock := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: time.Second})
	clock.Advance(time.Second)
	if err := e.InjectFault(st.ID, Fault{Action: ActionUpdate, Reason: "Quota exceeded for instances."}); err != nil {
		t.Fatal(err)
	}
	if err := e.UpdateStack(st.ID, map[string]string{"number_of_minions": "2"}, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	failed := mustStack(t, e, st.ID)
	want := "Resource UPDATE failed: ResourceInError: resources.kube_minions.resources[1].resources.kube-minion: Quota exceeded for instances."
	if failed.Status != "UPDATE_FAILED" || failed.StatusReason != want {
		t.Fatalf("status = %s %q\nwant UPDATE_FAILED %q", failed.Status, failed.StatusReason, want)
	}
	if err := e.UpdateStack(st.ID, map[string]string{"number_of_minions": "2"}, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if retried := mustStack(t, e, st.ID); retried.Status != "UPDATE_COMPLETE" {
		t.Errorf("retry status = %s %q", retried.Status, retried.StatusReason)
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name        string
		keepDeleted bool
	}{
		{"deleted stack disappears", false},
		{"deleted stack stays readable by id", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newTestEngine(t, Config{KeepDeleted: tt.keepDeleted})
			st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: time.Second})
			clock.Advance(time.Second)
			if err := e.DeleteStack(st.ID, 2*time.Second); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
			if mid := mustStack(t, e, st.ID); mid.Status != "DELETE_IN_PROGRESS" {
				t.Fatalf("status = %s", mid.Status)
			}
			clock.Advance(time.Second)
			got, err := e.Stack(st.ID)
			if !tt.keepDeleted {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("after delete: %v, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || got.Status != "DELETE_COMPLETE" || len(got.Resources) != 0 {
				t.Fatalf("after delete: %+v, %v", got, err)
			}
			if _, err := e.Lookup("p1", "k8s"); !errors.Is(err, ErrNotFound) {
				t.Errorf("deleted stack still found by name: %v", err)
			}
			if n := len(e.Stacks("p1")); n != 0 {
				t.Errorf("deleted stack listed (%d stacks)", n)
			}
		})
	}
}

func TestDelete_failureThenRetry(t *testing.T) {
	e, clock := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: time.Second})
	clock.Advance(time.Second)
	reason := "Unable to complete operation on subnet. One or more ports have an IP allocation from this subnet."
	if err := e.InjectFault(st.ID, Fault{Action: ActionDelete, Reason: reason}); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteStack(st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	failed := mustStack(t, e, st.ID)
	want := "Resource DELETE failed: Conflict: resources.network.resources.private_subnet: " + reason
	if failed.Status != "DELETE_FAILED" || failed.StatusReason != want {
		t.Fatalf("status = %s %q\nwant DELETE_FAILED %q", failed.Status, failed.StatusReason, want)
	}
	if err := e.DeleteStack(st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if _, err := e.Stack(st.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("retried delete left the stack: %v", err)
	}
}

func TestDelete_duringCreate(t *testing.T) {
	e, clock := newTestEngine(t, Config{})
	st := e.CreateStack("p1", StackSpec{Name: "k8s", Duration: 10 * time.Second})
	clock.Advance(3 * time.Second)
	if err := e.DeleteStack(st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustStack(t, e, st.ID); got.Status != "DELETE_IN_PROGRESS" {
		t.Fatalf("status = %s", got.Status)
	}
	clock.Advance(time.Second)
	if _, err := e.Stack(st.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("stack still there: %v", err)
	}
}

func TestSwarmOutputs(t *testing.T) {
	tests := []struct {
		coe  string
		keys []string
	}{
		{COESwarm, []string{"api_address", "swarm_masters", "swarm_masters_private", "swarm_nodes", "swarm_nodes_private", "discovery_url"}},
		{COESwarmMode, []string{"api_address", "swarm_primary_master", "swarm_secondary_masters", "swarm_nodes", "swarm_nodes_private"}},
	}
	for _, tt := range tests {
		t.Run(tt.coe, func(t *testing.T) {
			e, clock := newTestEngine(t, Config{})
			st := e.CreateStack("p1", StackSpec{Name: "sw", COE: tt.coe, Duration: time.Second,
				Parameters: map[string]string{"number_of_masters": "3", "number_of_nodes": "2", "discovery_url": "http://127.0.0.1:8099/discovery/x"}})
			clock.Advance(time.Second)
			st = mustStack(t, e, st.ID)
			for _, k := range tt.keys {
				if _, ok := st.Output(k); !ok {
					t.Errorf("output %s missing", k)
				}
			}
			if st.Parameters["swarm_version"] == "" {
				t.Error("swarm_version parameter missing")
			}
			nodes, _ := st.Output("swarm_nodes")
			if len(nodes.([]string)) != 2 {
				t.Errorf("swarm_nodes = %v", nodes)
			}
		})
	}
}

func TestEngine_concurrentUse(t *testing.T) {
	e, clock := newTestEngine(t, Config{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				st := e.CreateStack("p1", StackSpec{Name: StackName("c"), Duration: time.Second})
				clock.Advance(100 * time.Millisecond)
				_, _ = e.Stack(st.ID)
				_ = e.UpdateStack(st.ID, map[string]string{"number_of_minions": "2"}, time.Second)
				_ = e.DeleteStack(st.ID, time.Second)
				_ = e.Stacks("p1")
			}
		}()
	}
	wg.Wait()
}
