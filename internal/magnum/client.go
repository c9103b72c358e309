// Package magnum is a typed client for the OpenStack Magnum (container-infra)
// API, built on gophercloud's ProviderClient for tokens and re-authentication.
// It knows Magnum's real behaviour (see reference/magnum-api.md and the
// captures' FINDINGS.md) and nothing about Terraform.
package magnum

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// Config says where Magnum is and how to talk to it.
type Config struct {
	// ProviderClient is already authenticated; its ReauthFunc renews the
	// token on 401. Leave its RetryFunc unset: this client retries itself.
	ProviderClient *gophercloud.ProviderClient
	Region         string
	Availability   gophercloud.Availability // "" means public
	// Endpoint overrides the catalog's container-infra URL, with or
	// without the trailing /v1.
	Endpoint string
	// MaxMicroversion pins the highest microversion to use, e.g. "1.10".
	MaxMicroversion string
	// Retry tunes retries of safe requests; zero fields take defaults.
	Retry RetryPolicy
	// Now is the clock used to read Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Client talks to one Magnum endpoint. It is safe for concurrent use.
type Client struct {
	http requester
	// base is the v1 resource root, ending in "/"; root is the versions
	// document one level up.
	base, root string
	pin        Version

	mu        sync.Mutex
	negotiate *negotiated
}

type negotiated struct {
	use, serverMin, serverMax Version
}

var versionSegment = regexp.MustCompile(`^v\d+(\.\d+)?$`)

// NewClient resolves the endpoint from the override or the catalog. It
// sends no request: the microversion is negotiated on first use.
func NewClient(_ context.Context, cfg Config) (*Client, error) {
	if cfg.ProviderClient == nil {
		return nil, errors.New("magnum: Config.ProviderClient is required")
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		if cfg.ProviderClient.EndpointLocator == nil {
			return nil, errors.New("magnum: no container-infra endpoint: the provider client has no service catalog and no endpoint override was given")
		}
		eo := gophercloud.EndpointOpts{Region: cfg.Region, Availability: cfg.Availability}
		eo.ApplyDefaults("container-infrastructure-management")
		// Version 0 keeps gophercloud from probing the endpoint: this
		// constructor must not make requests.
		eo.Version = 0
		u, err := cfg.ProviderClient.EndpointLocator(eo)
		if err != nil {
			var nf *gophercloud.ErrEndpointNotFound
			if errors.As(err, &nf) {
				return nil, fmt.Errorf("magnum: the service catalog has no container-infra endpoint (interface %q, region %q); set an endpoint override if Magnum is reachable anyway", eo.Availability, cfg.Region)
			}
			return nil, fmt.Errorf("magnum: finding the container-infra endpoint: %w", err)
		}
		endpoint = u
	}
	base, root, err := splitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, root: root}
	if cfg.MaxMicroversion != "" {
		if c.pin, err = ParseVersion(cfg.MaxMicroversion); err != nil {
			return nil, fmt.Errorf("magnum: max microversion: %w", err)
		}
		if c.pin.Less(MinServerVersion) {
			return nil, fmt.Errorf("magnum: max microversion %s is below %s, the oldest Magnum has", c.pin, MinServerVersion)
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c.http = requester{pc: cfg.ProviderClient, retry: cfg.Retry.withDefaults(), now: now, clock: &serverClock{}}
	return c, nil
}

// splitEndpoint accepts ".../v1", ".../v1/" or a versionless root and
// returns the v1 resource base and the versions document URL.
func splitEndpoint(endpoint string) (base, root string, err error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", "", fmt.Errorf("magnum: invalid container-infra endpoint %q: want an absolute URL", endpoint)
	}
	u.RawQuery, u.Fragment = "", ""
	path := strings.TrimRight(u.Path, "/")
	segs := strings.Split(path, "/")
	last := segs[len(segs)-1]
	if versionSegment.MatchString(last) {
		u.Path = path + "/"
		base = u.String()
		u.Path = strings.Join(segs[:len(segs)-1], "/") + "/"
		root = u.String()
		return base, root, nil
	}
	u.Path = path + "/"
	root = u.String()
	u.Path = path + "/v1/"
	base = u.String()
	return base, root, nil
}

// BaseURL is the v1 resource root this client sends requests to.
func (c *Client) BaseURL() string { return c.base }

// Microversion negotiates once and then returns the memoized version:
// the lowest of the server's maximum, MaxKnownVersion and the pin. A
// failed negotiation is not memoized, so a later call tries again.
func (c *Client) Microversion(ctx context.Context) (Version, error) {
	n, err := c.negotiated(ctx)
	if err != nil {
		return Version{}, err
	}
	return n.use, nil
}

// ServerVersions returns the range the server advertises.
func (c *Client) ServerVersions(ctx context.Context) (minV, maxV Version, err error) {
	n, err := c.negotiated(ctx)
	if err != nil {
		return Version{}, Version{}, err
	}
	return n.serverMin, n.serverMax, nil
}

// Supports reports whether the negotiated microversion is at least v.
func (c *Client) Supports(ctx context.Context, v string) (bool, error) {
	want, err := ParseVersion(v)
	if err != nil {
		return false, err
	}
	have, err := c.Microversion(ctx)
	if err != nil {
		return false, err
	}
	return have.AtLeast(want), nil
}

// require fails with an UnsupportedError before anything is sent.
func (c *Client) require(ctx context.Context, op string, need Version) (Version, error) {
	n, err := c.negotiated(ctx)
	if err != nil {
		return Version{}, err
	}
	if n.use.Less(need) {
		return Version{}, &UnsupportedError{Operation: op, Need: need, Have: n.use, ServerMax: n.serverMax}
	}
	return n.use, nil
}

func (c *Client) negotiated(ctx context.Context) (*negotiated, error) {
	// Holding the lock across the request makes concurrent first callers
	// share one GET instead of racing several.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.negotiate != nil {
		return c.negotiate, nil
	}
	minV, maxV, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	use := minVersion(maxV, MaxKnownVersion)
	if !c.pin.IsZero() {
		if c.pin.Less(minV) {
			return nil, fmt.Errorf("magnum: max microversion %s is below this cloud's minimum %s", c.pin, minV)
		}
		use = minVersion(use, c.pin)
	}
	c.negotiate = &negotiated{use: use, serverMin: minV, serverMax: maxV}
	return c.negotiate, nil
}

type versionDoc struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	MinVersion string `json:"min_version"`
	MaxVersion string `json:"max_version"`
}

// discover reads min_version/max_version from the root versions document.
// Should a proxy hide the root, the v1 document's
// OpenStack-API-{Minimum,Maximum}-Version headers say the same.
func (c *Client) discover(ctx context.Context) (minV, maxV Version, err error) {
	var doc struct {
		Versions []versionDoc `json:"versions"`
	}
	_, _, rootErr := c.http.do(ctx, request{method: http.MethodGet, url: c.root, out: &doc, ok: []int{200, 300}, safety: read, version: "-"})
	if rootErr == nil {
		for _, v := range doc.Versions {
			if v.ID != "v1" && len(doc.Versions) > 1 {
				continue
			}
			if v.MaxVersion == "" {
				// Magnum predating microversions speaks only 1.1.
				return MinServerVersion, MinServerVersion, nil
			}
			return parseRange(v.MinVersion, v.MaxVersion, c.root)
		}
	}
	if isContextErr(rootErr) {
		return minV, maxV, rootErr
	}
	resp, _, v1Err := c.http.do(ctx, request{method: http.MethodGet, url: c.base, ok: []int{200}, safety: read, version: "-"})
	if v1Err == nil {
		lo, hi := resp.Header.Get("OpenStack-API-Minimum-Version"), resp.Header.Get("OpenStack-API-Maximum-Version")
		if hi != "" {
			return parseRange(lo, hi, c.base)
		}
	}
	if rootErr == nil {
		rootErr = errors.New("no v1 entry in the versions document")
	}
	return minV, maxV, fmt.Errorf("magnum: cannot negotiate the API microversion: %w", rootErr)
}

func parseRange(lo, hi, where string) (Version, Version, error) {
	maxV, err := ParseVersion(hi)
	if err != nil {
		return Version{}, Version{}, fmt.Errorf("magnum: %s advertises a bad max_version: %w", where, err)
	}
	minV := MinServerVersion
	if lo != "" {
		if minV, err = ParseVersion(lo); err != nil {
			return Version{}, Version{}, fmt.Errorf("magnum: %s advertises a bad min_version: %w", where, err)
		}
	}
	return minV, maxV, nil
}

// url joins escaped path segments onto the v1 base.
func (c *Client) url(segments ...string) string {
	esc := make([]string, len(segments))
	for i, s := range segments {
		esc[i] = url.PathEscape(s)
	}
	return c.base + strings.Join(esc, "/")
}

// call sends a Magnum request at the negotiated microversion (or at v
// when given).
func (c *Client) call(ctx context.Context, req request) (*http.Response, []byte, error) {
	if req.version == "" {
		v, err := c.Microversion(ctx)
		if err != nil {
			return nil, nil, err
		}
		req.version = v.String()
	}
	return c.http.do(ctx, req)
}
