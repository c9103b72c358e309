package diagnose

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/session"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// TestBayWaitError checks what a failed bay wait adds to the waiter's
// account, and that Heat is asked only about a failure with a stack.
func TestBayWaitError(t *testing.T) {
	failedBay := &magnum.Cluster{Status: "CREATE_FAILED", StackID: "st-1", StatusReason: "Failed to create trustee or trust for Cluster: c1"}
	failed := &waiter.FailedError{What: "bay", State: "CREATE_FAILED", Object: failedBay}
	timedOut := &waiter.TimeoutError{What: "bay", LastState: "CREATE_IN_PROGRESS"}
	// magnum-cluster-api 0.16 (Magnum 20): a create whose workers cannot
	// boot, and a resize its conductor failed at once.
	capiBay := &magnum.Cluster{Status: "CREATE_IN_PROGRESS", StackID: "kube-phx1l",
		StatusReason: "CAPI Cluster status: Provisioned: Cluster kube-phx1l is Provisioned. CAPI OpenstackCluster status reason: SuccessfulAssociateFloatingIP: Associated floating IP 127.0.0.1 with port 0a3f38b7"}
	resizeFailed := &magnum.Cluster{Status: "UPDATE_FAILED", StackID: "kube-hkj8z", StatusReason: "'annotations'",
		Faults: map[string]string{"default-worker": "'annotations'"}}
	// magnum-cluster-api 0.16 and a baymodel without dns_nameserver.
	noDNS := &magnum.Cluster{Status: "CREATE_FAILED", StackID: "kube-phx1l", StatusReason: "'NoneType' object has no attribute 'split'"}
	heatSays := func(string) ([]heat.Resource, error) {
		return []heat.Resource{{Name: "kube_masters", Type: "OS::Heat::ResourceGroup", Status: "CREATE_FAILED", StatusReason: "No valid host"}}, nil
	}
	cases := []struct {
		name      string
		err       error
		c         *magnum.Cluster
		failures  HeatFailures
		want      []string
		wantNot   []string
		heatCalls int
	}{
		{"failure with Heat and a refused trust", failed, failedBay, heatSays,
			[]string{"CREATE_FAILED", "allow_insecure_application_credential_trust_escalation", "Failed Heat resources (stack st-1)", "kube_masters"}, nil, 1},
		{"failure on a cloud without Heat", failed, failedBay, nil, []string{"CREATE_FAILED"}, []string{"Heat"}, 0},
		{"Heat unreadable", failed, failedBay, func(string) ([]heat.Resource, error) { return nil, errors.New("heat down") },
			[]string{"Heat's failed resources could not be read: heat down"}, nil, 1},
		{"a timeout asks Heat nothing", timedOut, failedBay, heatSays, []string{"timed out"}, []string{"Failed Heat resources", "allow_insecure_application_credential_trust_escalation"}, 0},
		{"a timeout shows the driver's last status_reason", timedOut, capiBay, heatSays,
			[]string{"timed out", "Magnum's last word on it: status_reason: CAPI Cluster status: Provisioned"}, []string{"Heat"}, 0},
		{"no start shows the failure the conductor wrote", &waiter.NotStartedError{What: "bay", State: "UPDATE_FAILED"}, resizeFailed, nil,
			[]string{"did not start it", "status_reason: 'annotations'", "fault in default-worker: 'annotations'"}, nil, 0},
		{"a timeout with nothing said adds nothing", timedOut, &magnum.Cluster{Status: "CREATE_IN_PROGRESS"}, nil, []string{"timed out"}, []string{"last word"}, 0},
		{"a Cluster API stack_id is no Heat stack", &waiter.FailedError{What: "bay", State: "CREATE_FAILED", Object: capiBay}, capiBay,
			func(string) ([]heat.Resource, error) {
				return nil, &magnum.Error{StatusCode: 404, Method: "GET", URL: "http://h/v1/p/stacks/kube-phx1l/resources", Message: "The Stack (kube-phx1l) could not be found."}
			},
			[]string{"CREATE_FAILED"}, []string{"Heat", "could not be found"}, 1},
		{"magnum-cluster-api without dns_nameserver", &waiter.FailedError{What: "bay", State: "CREATE_FAILED"}, noDNS, nil,
			[]string{"CREATE_FAILED", "baymodel has no dns_nameserver", "Set dns_nameserver on the baymodel"}, nil, 0},
		{"the same words from a Heat bay say nothing of dns", failed, &magnum.Cluster{Status: "CREATE_FAILED", StackID: "3f1e2d4c-0000-4000-8000-000000000001",
			StatusReason: noDNS.StatusReason}, nil, []string{"CREATE_FAILED"}, []string{"dns_nameserver"}, 0},
		{"an API error reads as Magnum's", &magnum.Error{StatusCode: 500, Method: "GET", URL: "http://m/v1/clusters/c1", Message: "boom"}, nil, heatSays,
			[]string{"Magnum said: boom", "HTTP status: 500"}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			failures := tc.failures
			if failures != nil {
				failures = func(id string) ([]heat.Resource, error) { calls++; return tc.failures(id) }
			}
			got := BayWaitError(tc.err, tc.c, true, failures)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("holds %q:\n%s", w, got)
				}
			}
			if calls != tc.heatCalls {
				t.Errorf("Heat asked %d times, want %d", calls, tc.heatCalls)
			}
		})
	}
}

func TestBayUnread(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"the bay failed", &waiter.FailedError{State: "CREATE_FAILED"}, false},
		{"the bay did not start", &waiter.NotStartedError{State: "CREATE_COMPLETE"}, false},
		{"time ran out while the bay read fine", &waiter.TimeoutError{LastState: "CREATE_IN_PROGRESS"}, false},
		{"time ran out while reads failed", &waiter.TimeoutError{LastErr: &magnum.Error{StatusCode: 503}}, true},
		{"reads failed for good", errors.New("waiting for bay: connection refused"), true},
	}
	for _, tc := range cases {
		got := BayUnread(tc.err, "c1")
		if (got != "") != tc.want || (tc.want && !strings.Contains(got, "openstack coe cluster show c1")) {
			t.Errorf("%s: BayUnread = %q", tc.name, got)
		}
	}
}

func TestQuotaAndCertificateErrorsExplainThe403(t *testing.T) {
	forbidden := &magnum.Error{StatusCode: 403, Method: "POST", URL: "http://m/v1/quotas", Message: "Policy doesn't allow quota:create to be performed."}
	notFound := &magnum.Error{StatusCode: 404, Method: "GET", URL: "http://m/v1/quotas/p", Message: "not found"}
	if got := QuotaError(forbidden, "quota:create"); !strings.Contains(got, `Magnum's policy "quota:create" allows only the admin role`) || !strings.Contains(got, "HTTP status: 403") {
		t.Errorf("QuotaError(403) = %q", got)
	}
	if got := QuotaError(notFound, "quota:get"); got != APIError(notFound) {
		t.Errorf("QuotaError(404) = %q, want the API error alone", got)
	}
	if got := CertificateError(forbidden); !strings.Contains(got, "only the user who created a bay") {
		t.Errorf("CertificateError(403) = %q", got)
	}
	if got := CertificateError(notFound); got != APIError(notFound) {
		t.Errorf("CertificateError(404) = %q, want the API error alone", got)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestLoginError(t *testing.T) {
	const authURL = "https://keystone.example:5000/v3"
	refused := gophercloud.ErrUnexpectedResponseCode{Actual: 401,
		Body: []byte(`{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`)}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"Keystone's words", &session.LoginError{AuthURL: authURL, Err: refused},
			[]string{"Keystone at " + authURL + " answered HTTP 401: The request you have made requires authentication."}},
		{"a stalled login names api_timeout", &session.LoginError{AuthURL: authURL, Timeout: 7 * time.Second,
			Err: &url.Error{Op: "Post", URL: authURL, Err: timeoutErr{}}},
			[]string{"Could not reach Keystone at " + authURL, "did not answer within api_timeout (7s)"}},
		{"a deadline names api_timeout too", &session.LoginError{AuthURL: authURL, Timeout: time.Second, Err: context.DeadlineExceeded},
			[]string{"Authenticating against " + authURL + " failed", "api_timeout (1s)"}},
		{"Magnum at auth_url", &session.LoginError{AuthURL: "https://magnum.example:9511/v1", MagnumAtAuthURL: true,
			Err: gophercloud.ErrUnexpectedResponseCode{Actual: 404, Body: []byte("404 Not Found")}},
			[]string{"answered HTTP 404: 404 Not Found", "answers like Magnum's API (container-infra), not Keystone"}},
	}
	for _, tc := range cases {
		got := LoginError(tc.err)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", tc.name, w, got)
			}
		}
	}
}
