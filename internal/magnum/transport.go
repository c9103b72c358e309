package magnum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// RetryPolicy bounds the client's own retries of safe requests. Zero
// fields take the defaults of DefaultRetryPolicy.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff with full
	// jitter: attempt n sleeps a random duration in [0, min(MaxDelay,
	// BaseDelay*2^(n-1))).
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps how long a Retry-After header may make us wait
	// before we give up and return the error instead.
	MaxRetryAfter time.Duration
	// Sleep and Jitter are injectable so tests need not wait. Jitter
	// returns a value in [0, 1).
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
}

// DefaultRetryPolicy is used for every zero field of Config.Retry.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:   5,
	BaseDelay:     500 * time.Millisecond,
	MaxDelay:      20 * time.Second,
	MaxRetryAfter: 2 * time.Minute,
	Sleep:         sleepCtx,
	Jitter:        rand.Float64,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts > 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.BaseDelay > 0 {
		d.BaseDelay = p.BaseDelay
	}
	if p.MaxDelay > 0 {
		d.MaxDelay = p.MaxDelay
	}
	if p.MaxRetryAfter > 0 {
		d.MaxRetryAfter = p.MaxRetryAfter
	}
	if p.Sleep != nil {
		d.Sleep = p.Sleep
	}
	if p.Jitter != nil {
		d.Jitter = p.Jitter
	}
	return d
}

// backoff is the wait before attempt n+1 after n failed attempts.
func (p RetryPolicy) backoff(n int) time.Duration {
	ceiling := p.BaseDelay << min(n-1, 30)
	if ceiling <= 0 || ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	return time.Duration(p.Jitter() * float64(ceiling))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// safety says what a retry of a request could do to the cloud.
type safety int

const (
	// unsafe requests (cluster POST, resize, upgrade, CA rotation) act
	// again if repeated; they are retried only when the request provably
	// never left (dial failure) or the server refused it (429).
	unsafe safety = iota
	// idempotent requests (DELETE, PATCH that sets absolute values) may
	// be repeated after any transient failure except a 500.
	idempotent
	// read requests are also retried after a 500.
	read
)

// request is one Magnum call as the retry layer sees it: send makes one
// attempt through gophercloud, whose ServiceClient carries the token and
// the microversion header; method and url name the call in errors.
type request struct {
	method string
	url    string
	send   func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result
	out    any
	safety safety
	// version overrides the negotiated microversion; "-" sends none.
	version string
}

// requester adds to gophercloud what Magnum needs from a client: the
// retry policy by request safety, Magnum's error shapes, and the server
// clock. gophercloud supplies the token and re-authenticates on 401.
type requester struct {
	sc    *gophercloud.ServiceClient
	retry RetryPolicy
	now   func() time.Time
	clock *serverClock
}

// do returns the headers of the answer that succeeded.
func (r *requester) do(ctx context.Context, req request) (http.Header, error) {
	for attempt := 1; ; attempt++ {
		h, err := r.once(ctx, req)
		if err == nil {
			return h, nil
		}
		wait, retry, last := r.classify(ctx, req, err, attempt)
		if !retry {
			return h, last
		}
		if serr := r.retry.Sleep(ctx, wait); serr != nil {
			// Only requests that were refused or never sent are retried,
			// so giving up here leaves no unknown outcome behind.
			return h, fmt.Errorf("%w (retry abandoned: %w)", last, serr)
		}
	}
}

func (r *requester) once(ctx context.Context, req request) (http.Header, error) {
	sc := *r.sc
	if req.version != "-" {
		sc.Microversion = req.version
	}
	sent := r.now()
	res := req.send(ctx, &sc)
	h := res.Header
	if rc, ok := unexpectedCode(res.Err); ok && h == nil {
		h = rc.ResponseHeader
	}
	if h != nil {
		r.clock.observe(&http.Response{Header: h}, sent, r.now())
	}
	var syntax *json.SyntaxError
	switch {
	case res.Err == io.EOF:
		// gophercloud's decoder met a 2xx without a body: nothing to
		// decode, as for a 204. Compared bare on purpose: a connection
		// closed before the answer gives an EOF wrapped in *url.Error.
		return h, nil
	case errors.As(res.Err, &syntax):
		// gophercloud decodes every answer it has a result for; the
		// body of one this client does not read cannot fail the call.
		if req.out == nil {
			return h, nil
		}
		return h, &decodeError{method: req.method, url: req.url, err: res.Err}
	case res.Err != nil:
		// A body cut short (io.ErrUnexpectedEOF) is a transport failure
		// and is classified as one.
		return h, res.Err
	}
	if req.out == nil || res.Body == nil {
		return h, nil
	}
	var err error
	if raw, ok := res.Body.(json.RawMessage); ok {
		err = json.Unmarshal(raw, req.out)
	} else {
		err = res.ExtractInto(req.out)
	}
	if err != nil {
		return h, &decodeError{method: req.method, url: req.url, err: err}
	}
	return h, nil
}

type decodeError struct {
	method, url string
	err         error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("Magnum API: %s %s: cannot decode the response: %v", e.method, e.url, e.err)
}

func (e *decodeError) Unwrap() error { return e.err }

// classify decides whether to retry and how long to wait. The error it
// returns is the one to report, whether or not a retry follows.
func (r *requester) classify(ctx context.Context, req request, err error, attempt int) (time.Duration, bool, error) {
	var dec *decodeError
	if errors.As(err, &dec) {
		return 0, false, err
	}
	converted := convertError("", err, r.now())
	var apiErr *Error
	if errors.As(converted, &apiErr) {
		if req.version != "-" {
			apiErr.Microversion = req.version
		}
		apiErr.explain()
		if !retryableStatus(req.safety, apiErr.StatusCode) || attempt >= r.retry.MaxAttempts || ctx.Err() != nil {
			return 0, false, r.finalize(req, apiErr)
		}
		wait := r.retry.backoff(attempt)
		if apiErr.RetryAfter > 0 {
			if apiErr.RetryAfter > r.retry.MaxRetryAfter || !fitsDeadline(ctx, apiErr.RetryAfter, r.now()) {
				return 0, false, r.finalize(req, apiErr)
			}
			wait = apiErr.RetryAfter
		}
		return wait, true, apiErr
	}
	// Only our own context ending stops the retries: the HTTP client's
	// per-request timeout also satisfies errors.Is(err,
	// context.DeadlineExceeded), and a stalled GET is worth another try.
	if ctx.Err() != nil {
		return 0, false, r.finalize(req, err)
	}
	// A transport error. If the connection was never made, nothing was
	// sent and even a POST may be repeated.
	neverSent := isDialError(err)
	if (req.safety == unsafe && !neverSent) || attempt >= r.retry.MaxAttempts {
		return 0, false, r.finalize(req, err)
	}
	return r.retry.backoff(attempt), true, err
}

// finalize wraps an error that leaves an unsafe request's effect unknown.
func (r *requester) finalize(req request, err error) error {
	if req.safety != unsafe {
		return err
	}
	if code := StatusCode(err); code != 0 {
		if code == http.StatusBadGateway || code == http.StatusGatewayTimeout {
			return &OutcomeUnknownError{Method: req.method, URL: req.url, Err: err}
		}
		return err
	}
	if isDialError(err) {
		return err
	}
	return &OutcomeUnknownError{Method: req.method, URL: req.url, Err: err}
}

func retryableStatus(s safety, code int) bool {
	switch code {
	case http.StatusTooManyRequests:
		// Rate limiting happens before the request is processed.
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return s >= idempotent
	case http.StatusInternalServerError:
		return s == read
	}
	return false
}

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

func fitsDeadline(ctx context.Context, d time.Duration, now time.Time) bool {
	dl, ok := ctx.Deadline()
	return !ok || now.Add(d).Before(dl)
}
