// Package magnum is a typed client for the OpenStack Magnum (container-infra)
// API, built on gophercloud: its ServiceClient sends the token, renews it on
// 401 and sets the microversion header, and its containerinfra/v1 calls
// build the URLs and check the status codes. This package adds what
// gophercloud lacks: retries by request safety (transport.go), Magnum's
// error text (errors.go), microversion negotiation and gates (client.go,
// version.go; the first read negotiates from its own answer's headers, so
// a plan costs no extra round trip), response types that keep Magnum's
// nulls and newer fields,
// and listing that survives Magnum's next links. It knows Magnum's real
// behaviour (see reference/magnum-api.md and the captures' FINDINGS.md) and
// nothing about Terraform.
package magnum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/apiversions"
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
	// sc is gophercloud's container-infra ServiceClient: ResourceBase is
	// the v1 resource root, ending in "/", and Endpoint the versions
	// document one level up. Each request sends a copy carrying its
	// microversion.
	sc  *gophercloud.ServiceClient
	pin Version

	// mu guards negotiate and is held across a discovery, so concurrent
	// callers that need the version before sending share one. A first
	// read holds it only to memoize what its answer said.
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
	c := &Client{sc: &gophercloud.ServiceClient{
		ProviderClient: cfg.ProviderClient,
		Endpoint:       root,
		ResourceBase:   base,
		// gophercloud's NewContainerInfraV1 type: it sends the
		// microversion as "OpenStack-API-Version: container-infra X.Y".
		Type: "container-infrastructure-management",
	}}
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
	c.http = requester{sc: c.sc, retry: cfg.Retry.withDefaults(), now: now, clock: &serverClock{}}
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
func (c *Client) BaseURL() string { return c.sc.ResourceBase }

// Microversion negotiates once and then returns the memoized version:
// the lowest of the server's maximum, MaxKnownVersion and the pin. The
// memo comes from the first read's answer when one came first, else from
// a discovery. A failed negotiation is not memoized, so a later call
// tries again.
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
	n, err := c.settle(minV, maxV)
	if err != nil {
		return nil, err
	}
	c.negotiate = n
	return n, nil
}

// settle picks the version to use from the range a server advertises.
func (c *Client) settle(minV, maxV Version) (*negotiated, error) {
	use := minVersion(maxV, MaxKnownVersion)
	if !c.pin.IsZero() {
		if c.pin.Less(minV) {
			return nil, fmt.Errorf("magnum: max microversion %s is below this cloud's minimum %s", c.pin, minV)
		}
		use = minVersion(use, c.pin)
	}
	return &negotiated{use: use, serverMin: minV, serverMax: maxV}, nil
}

// memoized is the negotiation so far, nil before the first.
func (c *Client) memoized() *negotiated {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.negotiate
}

// adopt negotiates from the version headers Magnum puts on every answer
// of a /v1 route, errors included (the captures' FINDINGS.md): the same
// range as the versions document, and the version that served this
// answer. ok is false when the answer has no usable headers (a 401 from
// keystonemiddleware, a blank 406, a proxy's own answer). A memo that
// another caller made first is kept.
func (c *Client) adopt(h http.Header) (n *negotiated, served Version, ok bool, err error) {
	hi, cur := h.Get("OpenStack-API-Maximum-Version"), h.Get("OpenStack-API-Version")
	if hi == "" || cur == "" {
		return nil, Version{}, false, nil
	}
	minV, maxV, err := parseRange(h.Get("OpenStack-API-Minimum-Version"), hi, c.sc.ResourceBase)
	if err != nil {
		return nil, Version{}, false, nil
	}
	if served, err = ParseVersion(cur); err != nil {
		return nil, Version{}, false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.negotiate == nil {
		if c.negotiate, err = c.settle(minV, maxV); err != nil {
			return nil, Version{}, false, err
		}
	}
	return c.negotiate, served, true, nil
}

// firstReadVersion is what a read sends before anything is negotiated:
// the version this client would use against a cloud as new as it knows.
// Without a pin that is "latest" rather than MaxKnownVersion, which a
// cloud older than this client (Zed's 1.10, 2025.1's 1.11) would refuse
// with a 406 every time; the answer then says which version served it.
func (c *Client) firstReadVersion() string {
	if c.pin.IsZero() {
		return "latest"
	}
	return minVersion(c.pin, MaxKnownVersion).String()
}

// firstRead sends a read at firstReadVersion and negotiates from the
// answer's headers, saving the versions document's round trip. The answer
// stands when it was served at the negotiated version. One served at a
// newer version than this client knows (or the pin allows), a 406, or an
// answer without version headers is discarded, and the read is sent again
// at the version negotiated from those headers or, without them, by
// discovery.
func (c *Client) firstRead(ctx context.Context, req request) error {
	probe := req
	probe.version = c.firstReadVersion()
	if req.out != nil {
		// A discarded answer must leave nothing behind in out.
		probe.out = reflect.New(reflect.TypeOf(req.out).Elem()).Interface()
	}
	h, err := c.http.do(ctx, probe)
	n, served, ok, nerr := c.adopt(h)
	if nerr != nil {
		return nerr
	}
	if ok && served == n.use {
		var me *Error
		if errors.As(err, &me) {
			me.Microversion = served.String()
		}
		if err == nil && req.out != nil {
			reflect.ValueOf(req.out).Elem().Set(reflect.ValueOf(probe.out).Elem())
		}
		return err
	}
	if !ok && err != nil && StatusCode(err) != http.StatusNotAcceptable {
		// Nothing was learnt and the read failed for its own reasons.
		return err
	}
	if n == nil {
		if n, err = c.negotiated(ctx); err != nil {
			return err
		}
	}
	req.version = n.use.String()
	_, err = c.http.do(ctx, req)
	return err
}

// discover reads min_version/max_version from the root versions document
// (gophercloud's apiversions shape; its List pages outside the retry
// layer and accepts no 300, which some proxies answer). Should a proxy
// hide the root, the v1 document's OpenStack-API-{Minimum,Maximum}-Version
// headers say the same. It costs a round trip before the request that
// needs it, so it runs only for a first request that is not a read, for
// Supports and its kin before any read, and when a first read's answer
// had no version headers.
func (c *Client) discover(ctx context.Context) (minV, maxV Version, err error) {
	root, base := c.sc.Endpoint, c.sc.ResourceBase
	var doc struct {
		Versions []apiversions.APIVersion `json:"versions"`
	}
	_, rootErr := c.http.do(ctx, request{method: http.MethodGet, url: root, out: &doc, safety: read, version: "-",
		send: getJSON(root, 200, 300)})
	if rootErr == nil {
		for _, v := range doc.Versions {
			if v.ID != "v1" && len(doc.Versions) > 1 {
				continue
			}
			if v.Version == "" {
				// Magnum predating microversions speaks only 1.1.
				return MinServerVersion, MinServerVersion, nil
			}
			return parseRange(v.MinVersion, v.Version, root)
		}
	}
	if isContextErr(rootErr) {
		return minV, maxV, rootErr
	}
	h, v1Err := c.http.do(ctx, request{method: http.MethodGet, url: base, safety: read, version: "-",
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) (r gophercloud.Result) {
			resp, err := sc.Get(ctx, base, nil, &gophercloud.RequestOpts{OkCodes: []int{200}})
			_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
			return r
		}})
	if v1Err == nil {
		lo, hi := h.Get("OpenStack-API-Minimum-Version"), h.Get("OpenStack-API-Maximum-Version")
		if hi != "" {
			return parseRange(lo, hi, base)
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

// esc escapes one path segment: gophercloud's ServiceURL joins segments
// as given, and a name may hold a space, "/" or "?".
func esc(segment string) string { return url.PathEscape(segment) }

// url is gophercloud's ServiceURL of the escaped segments, the URL
// gophercloud's containerinfra calls build from the same arguments.
func (c *Client) url(segments ...string) string {
	e := make([]string, len(segments))
	for i, s := range segments {
		e[i] = esc(s)
	}
	return c.sc.ServiceURL(e...)
}

// call sends a Magnum request at the negotiated microversion (or at
// req.version when given). Before anything is negotiated a read goes out
// at once and negotiates from its answer (firstRead); anything else waits
// for a discovery, since a request that changes the cloud must not be
// sent at a version that might be discarded.
func (c *Client) call(ctx context.Context, req request) error {
	if req.version == "" {
		switch n := c.memoized(); {
		case n != nil:
			req.version = n.use.String()
		case req.safety == read:
			return c.firstRead(ctx, req)
		default:
			v, err := c.Microversion(ctx)
			if err != nil {
				return err
			}
			req.version = v.String()
		}
	}
	_, err := c.http.do(ctx, req)
	return err
}

// getJSON is a GET that gophercloud's containerinfra has no call for. It
// keeps the raw body, which once decodes straight into this package's
// types: gophercloud's own decoding into any, marshalled and
// decoded again, costs a 500-cluster listing 3x the allocations
// (BenchmarkListClusters).
func getJSON(u string, ok ...int) func(context.Context, *gophercloud.ServiceClient) gophercloud.Result {
	return func(ctx context.Context, sc *gophercloud.ServiceClient) (r gophercloud.Result) {
		resp, err := sc.Get(ctx, u, nil, &gophercloud.RequestOpts{OkCodes: ok, KeepResponseBody: true})
		if err != nil {
			_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
			return r
		}
		defer resp.Body.Close()
		r.Header = resp.Header
		// A body cut short is a transport failure and is classified as one.
		body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		switch {
		case err != nil:
			r.Err = err
		case len(body) > 0:
			r.Body = json.RawMessage(body)
		}
		return r
	}
}
