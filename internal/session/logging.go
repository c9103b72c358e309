package session

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// privateKeyPEM matches any PEM private key block (RSA, EC, PKCS#8,
// encrypted), including one escaped inside a JSON string.
var privateKeyPEM = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`)

// base64PEM matches a base64-encoded PEM block: a kubeconfig carries its
// client key as client-key-data in that form, which privateKeyPEM cannot
// see. Certificates encoded the same way are masked too; a log loses
// nothing by that.
var base64PEM = regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}`)

// secretFieldKeys are log field names whose values are always secret,
// whoever logs them.
var secretFieldKeys = []string{
	"password", "token", "application_credential_secret", "secret",
	"X-Auth-Token", "X-Subject-Token", "x-auth-token", "x-subject-token",
	"private_key", "client_key", "key_pem", "raw_config", "kubeconfig", "client-key-data",
}

// MaskSecrets registers tflog masks on ctx for the credential values, the
// well-known secret field keys and PEM private keys, so nothing logged under
// ctx (even at TRACE) carries them.
func MaskSecrets(ctx context.Context, secrets []string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, privateKeyPEM, base64PEM)
	ctx = tflog.MaskMessageRegexes(ctx, privateKeyPEM, base64PEM)
	if len(secrets) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
		ctx = tflog.MaskMessageStrings(ctx, secrets...)
	}
	return ctx
}

// loggingTransport records one DEBUG line per HTTP exchange. It logs no
// headers and no bodies: Keystone's request carries the password and its
// response the token, and Magnum's certificate calls carry keys and CSRs.
type loggingTransport struct {
	next    http.RoundTripper
	secrets []string
	// token returns the current Keystone token, which changes on reauth, so
	// it can be masked too.
	token func() string
	now   func() time.Time
}

func newLoggingTransport(next http.RoundTripper, secrets []string, token func() string) *loggingTransport {
	return &loggingTransport{next: next, secrets: secrets, token: token, now: time.Now}
}

// requestIDHeaders are tried in order; services differ in which they send.
var requestIDHeaders = []string{"X-Openstack-Request-Id", "X-Compute-Request-Id", "X-Request-Id"}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	secrets := t.secrets
	if t.token != nil {
		if tok := t.token(); tok != "" {
			secrets = append(secrets[:len(secrets):len(secrets)], tok)
		}
	}
	ctx := MaskSecrets(req.Context(), secrets)
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	fields := map[string]any{
		"http_method": req.Method,
		"http_url":    req.URL.Redacted(),
		"duration_ms": t.now().Sub(start).Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
		tflog.Debug(ctx, "OpenStack API request failed", fields)
		return resp, err
	}
	fields["http_status"] = resp.StatusCode
	for _, h := range requestIDHeaders {
		if id := resp.Header.Get(h); id != "" {
			fields["request_id"] = id
			break
		}
	}
	tflog.Debug(ctx, "OpenStack API request", fields)
	return resp, nil
}
