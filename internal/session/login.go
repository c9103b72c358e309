package session

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// LoginError is a failed Keystone login, with what the provider found out
// about auth_url afterwards, so the message can say what to fix.
type LoginError struct {
	AuthURL string
	// Timeout is the api_timeout the login ran under.
	Timeout time.Duration
	// MagnumAtAuthURL: auth_url answers like Magnum's API, not Keystone
	// (a common slip: both URLs sit side by side in the catalog). It is
	// probed only when the login neither timed out nor got an answer in
	// Keystone's error format.
	MagnumAtAuthURL bool
	Err             error
}

func (e *LoginError) Error() string { return e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// TimedOut reports whether the login failed because Keystone did not
// answer in time.
func (e *LoginError) TimedOut() bool {
	var ne net.Error
	return errors.Is(e.Err, context.DeadlineExceeded) || (errors.As(e.Err, &ne) && ne.Timeout())
}

// Login builds the single ProviderClient every resource shares and gets a
// token; gophercloud logs in again on a 401 when s allows reauth. The
// User-Agent is set before the first request so Keystone's logs attribute
// the login to the provider too. A failure is a *LoginError.
func Login(ctx context.Context, s Settings, tlsConfig *tls.Config, version string) (*gophercloud.ProviderClient, error) {
	pc, err := login(ctx, s, tlsConfig, version)
	if err != nil {
		le := &LoginError{AuthURL: s.AuthOptions.IdentityEndpoint, Timeout: s.APITimeout, Err: err}
		if !le.TimedOut() && !KeystoneAnswered(err) {
			le.MagnumAtAuthURL = magnumAtAuthURL(ctx, le.AuthURL, tlsConfig, s.APITimeout)
		}
		return nil, le
	}
	return pc, nil
}

func login(ctx context.Context, s Settings, tlsConfig *tls.Config, version string) (*gophercloud.ProviderClient, error) {
	pc, err := openstack.NewClient(s.AuthOptions.IdentityEndpoint)
	if err != nil {
		return nil, err
	}
	// A private clone: mutating http.DefaultTransport would leak TLS
	// settings into every other provider instance in the process.
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConfig
	pc.HTTPClient = http.Client{Transport: newLoggingTransport(base, s.Secrets(), pc.Token), Timeout: s.APITimeout}
	pc.UserAgent.Prepend("terraform-provider-magnum/" + version)
	if err := openstack.Authenticate(ctx, pc, s.AuthOptions); err != nil {
		return nil, err
	}
	return pc, nil
}

// KeystoneMessage is the message of an error body in Keystone's format,
// or "".
func KeystoneMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Message
}

// KeystoneAnswered reports whether the login failed on an answer in
// Keystone's own error format, so auth_url is Keystone.
func KeystoneAnswered(err error) bool {
	var code gophercloud.ErrUnexpectedResponseCode
	return errors.As(err, &code) && KeystoneMessage(code.Body) != ""
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

// TokenOwner reads the project and user the session's token belongs to.
// Magnum records exactly these as a new object's project_id and user_id
// (an application credential's token carries its owner's user id).
func TokenOwner(pc *gophercloud.ProviderClient) (projectID, userID string) {
	if pc == nil {
		return "", ""
	}
	res, ok := pc.GetAuthResult().(interface {
		ExtractProject() (*tokens.Project, error)
		ExtractUser() (*tokens.User, error)
	})
	if !ok {
		return "", ""
	}
	if p, err := res.ExtractProject(); err == nil && p != nil {
		projectID = p.ID
	}
	if u, err := res.ExtractUser(); err == nil && u != nil {
		userID = u.ID
	}
	return projectID, userID
}
