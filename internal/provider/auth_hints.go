package provider

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// What a failed login says beyond Keystone's own words: that the request
// ran out of api_timeout, and that auth_url is not Keystone at all but
// Magnum (a common slip: both URLs sit side by side in the catalog).

// authTimeoutHint names api_timeout when the login failed because Keystone
// did not answer in time.
func authTimeoutHint(err error, timeout time.Duration) string {
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		return ""
	}
	return fmt.Sprintf("\n\nKeystone did not answer within api_timeout (%s). If it is only slow, raise api_timeout "+
		"(or OS_API_TIMEOUT), in seconds; otherwise check that auth_url is reachable from here.", timeout.Round(time.Second))
}

// probeTimeout bounds the look at auth_url made after a failed login.
const probeTimeout = 10 * time.Second

// magnumAtAuthURL reports whether auth_url, or the root it hangs off,
// answers like Magnum: Magnum's version headers name container-infra, and
// its root document is "OpenStack Magnum API".
func magnumAtAuthURL(ctx context.Context, authURL string, tlsConfig *tls.Config, timeout time.Duration) bool {
	u, err := url.Parse(authURL)
	if err != nil || u.Host == "" {
		return false
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	client := &http.Client{Transport: transport, Timeout: min(timeout, probeTimeout)}
	root := *u
	root.Path, root.RawQuery = "/", ""
	for _, target := range []string{authURL, root.String()} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		for _, h := range []string{"OpenStack-API-Version", "OpenStack-API-Minimum-Version", "OpenStack-API-Maximum-Version"} {
			if strings.Contains(resp.Header.Get(h), "container-infra") {
				return true
			}
		}
		if strings.Contains(string(body), "OpenStack Magnum API") {
			return true
		}
	}
	return false
}

// keystoneAnswered reports whether the login failed on an answer in
// Keystone's own error format, so auth_url is Keystone.
func keystoneAnswered(err error) bool {
	var code gophercloud.ErrUnexpectedResponseCode
	return errors.As(err, &code) && keystoneMessage(code.Body) != ""
}

func magnumAuthURLHint(authURL string) string {
	return fmt.Sprintf("\n\nauth_url (%s) answers like Magnum's API (container-infra), not Keystone. Set auth_url (OS_AUTH_URL) to "+
		"the identity endpoint, such as https://keystone.example.com:5000/v3 (`openstack endpoint list --service identity` "+
		"shows it); the provider finds Magnum in Keystone's catalog.", authURL)
}
