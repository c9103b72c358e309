package diagnose

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestAPIError(t *testing.T) {
	t.Parallel()
	notFound := &magnum.Error{
		StatusCode: 404, Method: "GET", URL: "http://magnum:9511/v1/clustertemplates/nope",
		Message:   "ClusterTemplate nope could not be found.",
		RequestID: "req-0b4093f0-f029-4548-ab2b-961abc8151a5", Microversion: "1.10",
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"Magnum error with request id", notFound,
			"Magnum said: ClusterTemplate nope could not be found.\n\n" +
				"HTTP status: 404\n" +
				"Request: GET http://magnum:9511/v1/clustertemplates/nope\n" +
				"Request ID: req-0b4093f0-f029-4548-ab2b-961abc8151a5\n" +
				"API microversion: 1.10"},
		{"wrapped Magnum error", fmt.Errorf("reading baymodel: %w", notFound), "Magnum said: ClusterTemplate nope could not be found.\n\n" +
			"HTTP status: 404\nRequest: GET http://magnum:9511/v1/clustertemplates/nope\n" +
			"Request ID: req-0b4093f0-f029-4548-ab2b-961abc8151a5\nAPI microversion: 1.10"},
		{"another service, no request id, no message", &magnum.Error{Service: "Heat", StatusCode: 500, Method: "GET", URL: "http://heat/v1/stacks/s"},
			"Heat said: (no message in the response)\n\nHTTP status: 500\nRequest: GET http://heat/v1/stacks/s"},
		{"plain error", errors.New("dial tcp 127.0.0.1:9511: connect: connection refused"), "dial tcp 127.0.0.1:9511: connect: connection refused"},
	}
	for _, tc := range cases {
		if got := APIError(tc.err); got != tc.want {
			t.Errorf("%s: APIError =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestTrustFailure(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		appCred      bool
		want         string // substring; "" means no hint
	}{
		{"application credential", "Failed to create trustee or trust for Cluster: 1f2e", true, "allow_insecure_application_credential_trust_escalation"},
		{"password login", "Failed to create trustee or trust for Cluster: 1f2e", false, "[trust] section of magnum.conf"},
		{"another failure", "Resource CREATE failed: No valid host was found", true, ""},
		{"no reason", "", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TrustFailure(tc.reason, tc.appCred)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("TrustFailure(%q, %v) = %q, want it to contain %q", tc.reason, tc.appCred, got, tc.want)
			}
			if tc.appCred && tc.want != "" && strings.Contains(got, "magnum.conf") {
				t.Errorf("the application-credential hint points at magnum.conf: %q", got)
			}
		})
	}
}
