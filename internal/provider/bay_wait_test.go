package provider

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestIsTransientBayError(t *testing.T) {
	nodegroupGap := &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"cluster row without its master nodegroup", nodegroupGap, true},
		{"the same, wrapped", fmt.Errorf("reading bay: %w", nodegroupGap), true},
		{"another bad request", &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute node_count. Value: '-1'."}, false},
		{"a negative master_count the user asked for", &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '-1'."}, false},
		{"not found", &magnum.Error{StatusCode: 404, Message: "Cluster x could not be found."}, false},
		{"server error", &magnum.Error{StatusCode: 503, Message: "Service Unavailable"}, true},
		{"connection refused", errors.New("dial tcp 127.0.0.1:9511: connect: connection refused"), true},
		{"context canceled", context.Canceled, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isTransientBayError(tc.err); got != tc.want {
				t.Errorf("isTransientBayError(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestDeleteStarted(t *testing.T) {
	cases := []struct {
		name   string
		seen   []string
		starts []bool
	}{
		{"the failure an earlier delete left is not this one's outcome", []string{"DELETE_FAILED", "DELETE_FAILED"}, []bool{false, false}},
		{"this delete's own failure, after it was seen in progress", []string{"DELETE_FAILED", "DELETE_IN_PROGRESS", "DELETE_FAILED"}, []bool{false, true, true}},
		{"a bay that was fine, then fails to delete", []string{"CREATE_COMPLETE", "DELETE_FAILED"}, []bool{false, true}},
		{"an old status is no evidence", []string{"UPDATE_COMPLETE"}, []bool{false}},
		{"a delete that finished before the first poll", []string{"DELETE_COMPLETE"}, []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			started := deleteStarted()
			for i, status := range tc.seen {
				if got := started(&magnum.Cluster{Status: status}, status); got != tc.starts[i] {
					t.Errorf("observation %d (%s): started = %v, want %v", i, status, got, tc.starts[i])
				}
			}
		})
	}
}

func TestWaitForStackID(t *testing.T) {
	notFound := &magnum.Error{StatusCode: 404, Message: "Cluster x could not be found."}
	inProgress := &magnum.Cluster{Status: "CREATE_IN_PROGRESS"}
	cases := []struct {
		name    string
		answers []*magnum.Cluster // nil: the GET fails with 404
		// limit is long wherever the answers alone must end the wait, so
		// a slow machine cannot cut it short.
		limit     time.Duration
		wantPolls int
	}{
		{"stack id saved after two polls", []*magnum.Cluster{
			inProgress, inProgress, {Status: "CREATE_IN_PROGRESS", StackID: "s1"}}, time.Hour, 3},
		{"a bay with its stack is deleted at once", []*magnum.Cluster{{Status: "CREATE_COMPLETE", StackID: "s1"}}, time.Hour, 1},
		{"a failed create without a stack is deleted at once", []*magnum.Cluster{{Status: "CREATE_FAILED"}}, time.Hour, 1},
		{"a bay already gone", []*magnum.Cluster{nil}, time.Hour, 1},
		{"a bay already deleted, its row not yet gone", []*magnum.Cluster{{Status: "DELETE_COMPLETE", StackID: "s1"}}, time.Hour, 1},
		// The stack id never comes: only the limit can end the wait.
		{"the limit ends the wait", []*magnum.Cluster{inProgress}, 5 * time.Millisecond, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			polls := 0
			get := func(context.Context) (*magnum.Cluster, error) {
				i := min(polls, len(tc.answers)-1)
				polls++
				if tc.answers[i] == nil {
					return nil, notFound
				}
				return tc.answers[i], nil
			}
			// A minute against a limit of milliseconds: had the limit not
			// ended the wait, this context would have.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			last := waitForStackID(ctx, get, time.Millisecond, tc.limit)
			if want := tc.answers[min(polls, len(tc.answers))-1]; last != want {
				t.Errorf("returned %+v, want the last answer %+v", last, want)
			}
			if ctx.Err() != nil {
				t.Fatalf("the wait ended only with its context, after %d polls", polls)
			}
			if tc.wantPolls >= 0 && polls != tc.wantPolls {
				t.Errorf("polled %d times, want %d", polls, tc.wantPolls)
			}
			if tc.wantPolls < 0 && polls > 1000 {
				t.Errorf("polled %d times in a 5 ms limit at 1 ms intervals", polls)
			}
		})
	}
}

func TestReadBayRidesOutTheTransient400(t *testing.T) {
	gap := &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"}
	cases := []struct {
		name      string
		answers   []error
		wantCalls int
		wantErr   bool
	}{
		{"one gap, then the bay", []error{gap, nil}, 2, false},
		{"gaps for longer than the bound", []error{gap, gap, gap}, 3, true},
		{"a real bad request is not retried", []error{&magnum.Error{StatusCode: 400, Message: "other"}}, 1, true},
		{"a 503 the client already retried is not retried again", []error{&magnum.Error{StatusCode: 503}}, 1, true},
		{"gone", []error{&magnum.Error{StatusCode: 404}}, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			c, err := readBay(context.Background(), func(context.Context) (*magnum.Cluster, error) {
				e := tc.answers[calls]
				calls++
				if e != nil {
					return nil, e
				}
				return &magnum.Cluster{Status: "DELETE_IN_PROGRESS"}, nil
			}, 3, time.Millisecond)
			if calls != tc.wantCalls || (err != nil) != tc.wantErr || (err == nil && c == nil) {
				t.Errorf("calls %d, err %v, bay %v; want %d calls, error %v", calls, err, c, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

func TestDescribeBay(t *testing.T) {
	t.Parallel()
	failed := decodeCluster(t, transcriptClusterFailed)
	cases := []struct {
		name string
		in   *magnum.Cluster
		want string
	}{
		{"nil", nil, ""},
		{"nothing to say", decodeCluster(t, transcriptClusterInProgress), ""},
		// Faults sorted by nodegroup so the message is stable between runs.
		{"reason and faults", failed, "status_reason: default-master failed, default-worker failed; " +
			"fault in default-master: " + transcriptFault + "; fault in default-worker: " + transcriptFault},
		{"reason only", &magnum.Cluster{StatusReason: "Stack CREATE failed"}, "status_reason: Stack CREATE failed"},
		{"faults only", &magnum.Cluster{Faults: map[string]string{"b": "2", "a": "1"}}, "fault in a: 1; fault in b: 2"},
	}
	for _, tc := range cases {
		if got := diagnose.ClusterStatus(tc.in); got != tc.want {
			t.Errorf("%s: diagnose.ClusterStatus =\n %q\nwant\n %q", tc.name, got, tc.want)
		}
	}
}
