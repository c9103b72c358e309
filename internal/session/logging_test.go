package session

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// TestLoggingTransportNeverLogsBodiesOrHeaders sends the exchanges that
// carry secrets (a Keystone login, a certificate signing) through the
// logging transport and checks that only the request line reaches the log.
func TestLoggingTransportNeverLogsBodiesOrHeaders(t *testing.T) {
	t.Parallel()
	const (
		password = "pw-Zq8xLr3v"
		token    = "gAAAAABtoken-9f8e7d"
		keyPEM   = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----\n"
	)
	cases := []struct {
		name, method, url, reqBody, respBody string
		respHeader                           http.Header
		wantInLog                            []string
	}{
		{
			name: "keystone login", method: http.MethodPost, url: "https://keystone.example/v3/auth/tokens",
			reqBody:    `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","password":"` + password + `"}}}}}`,
			respBody:   `{"token":{"methods":["password"]}}`,
			respHeader: http.Header{"X-Subject-Token": {token}, "X-Openstack-Request-Id": {"req-login"}},
			wantInLog:  []string{"POST", "https://keystone.example/v3/auth/tokens", "req-login"},
		},
		{
			name: "certificate signing", method: http.MethodPost, url: "https://magnum.example/v1/certificates",
			reqBody:    `{"cluster_uuid":"c1","csr":"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----"}`,
			respBody:   `{"pem":"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----","key":` + jsonString(keyPEM) + `}`,
			respHeader: http.Header{"X-Openstack-Request-Id": {"req-sign"}},
			wantInLog:  []string{"https://magnum.example/v1/certificates", "req-sign", "201"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			ctx := tflogtest.RootLogger(context.Background(), &out)
			tr := newLoggingTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				_, _ = io.Copy(io.Discard, r.Body)
				return &http.Response{StatusCode: http.StatusCreated, Header: tc.respHeader,
					Body: io.NopCloser(strings.NewReader(tc.respBody)), Request: r}, nil
			}), []string{password}, func() string { return token })
			req, err := http.NewRequestWithContext(ctx, tc.method, tc.url, strings.NewReader(tc.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Auth-Token", token)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			// The caller still gets the whole body: logging must not eat it.
			if b, _ := io.ReadAll(resp.Body); string(b) != tc.respBody {
				t.Errorf("response body changed to %q", b)
			}
			logged := out.String()
			for _, leak := range []string{password, token, "secretkeymaterial", "PRIVATE KEY", "CERTIFICATE REQUEST", `"pem"`} {
				if strings.Contains(logged, leak) {
					t.Errorf("log holds %q:\n%s", leak, logged)
				}
			}
			for _, want := range tc.wantInLog {
				if !strings.Contains(logged, want) {
					t.Errorf("log lacks %q:\n%s", want, logged)
				}
			}
		})
	}
}

func jsonString(s string) string {
	r := strings.NewReplacer("\n", `\n`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func TestLoggingTransportLogsFailures(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	tr := newLoggingTransport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	}), nil, nil)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://user:pw@magnum.example/v1/clusters", nil)
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("error swallowed")
	}
	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries = %v, %v", entries, err)
	}
	e := entries[0]
	if e["@message"] != "OpenStack API request failed" || e["error"] != io.ErrUnexpectedEOF.Error() || e["http_method"] != "GET" {
		t.Fatalf("entry = %v", e)
	}
	if strings.Contains(out.String(), "user:pw") {
		t.Fatal("URL credentials logged")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
