package sim

import (
	"net/http"
	"testing"
	"time"
)

// The timeline must name the instant the API flips: a GET a nanosecond
// before Reported still shows the operation running, a GET at Reported
// shows its outcome.
func TestOperationTimelinePredictsTheFirstReport(t *testing.T) {
	tests := []struct {
		name      string
		interval  time.Duration
		create    time.Duration
		wantAfter time.Duration // Reported - Accepted
	}{
		{"no conductor lag", 0, 20 * time.Second, 20 * time.Second},
		// Heat ends on a conductor poll: the flip is a fifth of a period later.
		{"stack ends on a poll", 10 * time.Second, 20 * time.Second, 22 * time.Second},
		// Heat ends between polls: Magnum learns of it at the next one.
		{"stack ends between polls", 10 * time.Second, 21 * time.Second, 32 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newClusterEnv(t, Options{ConductorInterval: tt.interval, HeatCreateDuration: tt.create})
			id := e.create("c1")
			tl, ok := e.s.OperationTimeline(id)
			if !ok {
				t.Fatal("no timeline for a cluster being created")
			}
			if tl.Action != "CREATE" || tl.BackendDone.Sub(tl.Accepted) != tt.create || tl.Reported.Sub(tl.Accepted) != tt.wantAfter {
				t.Fatalf("timeline = %+v; want backend after %s, report after %s", tl, tt.create, tt.wantAfter)
			}
			e.until(tl.Reported, -time.Nanosecond)
			if st := e.cluster(id)["status"]; st != "CREATE_IN_PROGRESS" {
				t.Errorf("just before Reported: status %v", st)
			}
			e.until(tl.Reported, 0)
			if st := e.cluster(id)["status"]; st != "CREATE_COMPLETE" {
				t.Errorf("at Reported: status %v", st)
			}
			if _, ok := e.s.OperationTimeline(id); ok {
				t.Error("a settled cluster still reports a timeline")
			}
		})
	}
}

func TestOperationTimelineOfADelete(t *testing.T) {
	e := newClusterEnv(t, Options{ConductorInterval: 10 * time.Second, HeatCreateDuration: time.Second, HeatDeleteDuration: 3 * time.Second})
	id := e.create("c1")
	e.clock.Advance(15 * time.Second)
	if r := e.demo.do("DELETE", "/v1/clusters/"+id, nil); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.raw)
	}
	tl, ok := e.s.OperationTimeline(id)
	// The stack is gone 18 s after the start; the sync at 20 s sees it.
	if !ok || tl.Action != "DELETE" || tl.Reported.Sub(tl.Accepted) != 5*time.Second {
		t.Fatalf("timeline = %+v, %t; want a DELETE reported on the first sync after Heat, 5s in", tl, ok)
	}
	e.until(tl.Reported, 0)
	if r := e.get(id); r.status != http.StatusNotFound {
		t.Errorf("at Reported: GET answered %d, want 404", r.status)
	}
	if _, ok := e.s.OperationTimeline("no-such-cluster"); ok {
		t.Error("a timeline for a cluster that does not exist")
	}
}
