package magnum

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Bodies Magnum 15, Keystone and Heat sent in the captures, plus the
// shapes a proxy in front of them sends.
var errorBodySeeds = []string{
	`{"errors": [{"max_version": "1.10", "min_version": "1.1", "code": "magnum.microversion-unsupported", "links": [{"rel": "help", "href": "http://docs.openstack.org/api-guide/compute/microversions.html"}], "title": "Requested microversion is unsupported"}]}`,
	`{"errors": [{"request_id": "", "code": "", "status": 406, "title": "", "detail": "", "links": []}]}`,
	`{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`,
	`{"errors": [{"request_id": "", "code": "client", "status": 403, "title": "Policy doesn't allow magnum-service:get_all to be performed", "detail": "Policy doesn't allow magnum-service:get_all to be performed.", "links": []}]}`,
	`{"errors": [{"request_id": "", "code": "server", "status": 500, "title": "Field ` + "`labels[a]'" + ` cannot be None", "detail": "Field ` + "`labels[a]'" + ` cannot be None", "links": []}]}`,
	`{"explanation": "The resource could not be found.", "code": 404, "error": {"message": "The Stack (x) could not be found.", "traceback": null, "type": "EntityNotFound"}, "title": "Not Found"}`,
	`{"error": "plain string"}`,
	"<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid response.\n</body></html>\n",
	"<html><body><h1>503 Service Unavailable",
	"", "null", "[]", `{"errors": []}`, `{"errors": [null]}`, `{"error": 5}`,
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range errorBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, _ := parseErrorBody(body)
		// The message ends up in a Terraform diagnostic: bounded, and never
		// a half rune when the input was valid UTF-8.
		if len(msg) > maxRawMessage+len("…")+512 && !strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
			t.Fatalf("message of %d bytes from a %d-byte body", len(msg), len(body))
		}
		if utf8.Valid(body) && !utf8.ValidString(msg) {
			t.Fatalf("valid UTF-8 body gave an invalid message %q", msg)
		}
		// A full error round trip must not panic either.
		e := fromResponse("Magnum", http.MethodGet, "http://x/v1/clusters", 500, body, http.Header{"Retry-After": {string(body)}}, time.Unix(0, 0))
		e.explain()
		_ = e.Error()
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.10", "container-infra 1.10", "container-infra latest", "1.1", "2.0", "1.x", " 1.9 ", "1.", ".1", "-1.2", "1.99999999999999999999", "container-infra  1.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		if v.Major < 0 || v.Minor < 0 {
			t.Fatalf("ParseVersion(%q) = %v: negative", s, v)
		}
		// What it prints, it reads back the same.
		again, err := ParseVersion(v.String())
		if err != nil || again != v {
			t.Fatalf("ParseVersion(%q) = %v, but %q reads back as %v, %v", s, v, v.String(), again, err)
		}
		if v.Less(v) || !v.AtLeast(v) {
			t.Fatalf("%v is not equal to itself", v)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "0", "120", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "soon", "", " 3 ", "99999999999999999999", "1.5"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v: negative", v, d)
		}
	})
}
