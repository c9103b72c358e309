package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HTTP-level fault injection: failures of the transport and of the API
// front end (a proxy answering 502, a rate limiter, a dropped connection),
// as opposed to the cluster-operation failures of faults.go. They let a test
// prove a client retries what is safe, and only that.

// HTTPFaultKind names what happens to a matched request.
type HTTPFaultKind string

const (
	// FaultStatus answers Status (500, 502, 503, 429, 409, …) without
	// serving the request, with RetryAfter as the Retry-After header when
	// set. 5xx from a gateway come as text, others in the service's own
	// error envelope.
	FaultStatus HTTPFaultKind = "status"
	// FaultReset closes the connection without serving the request or
	// writing a byte, as a crashed load balancer would.
	FaultReset HTTPFaultKind = "reset"
	// FaultStall serves the request (its effect happens) and holds the
	// response for Delay before writing it, or until the client gives up:
	// a client timeout shorter than Delay sees an unknown outcome.
	FaultStall HTTPFaultKind = "stall"
	// FaultDropResponse serves the request (its effect happens) and then
	// closes the connection instead of answering: the client cannot tell
	// whether its POST was carried out.
	FaultDropResponse HTTPFaultKind = "drop-response"
	// FaultServedStatus serves the request (its effect happens) and answers
	// Status anyway, with Message: Magnum's API giving up on its RPC call
	// to the conductor (a 500 "Timed out waiting for a reply to message
	// ID …" after 60 s) when the conductor took the message all the same.
	FaultServedStatus HTTPFaultKind = "served-status"
	// FaultExpireToken revokes the request's X-Auth-Token before serving
	// it, so it (and any later use of that token) gets 401, as a token
	// expiring in the middle of an apply would.
	FaultExpireToken HTTPFaultKind = "expire-token"
)

// HTTPFault arms a transport or front-end failure for requests that match
// Route or Pattern. Each HTTPFault counts its own matches: it leaves the
// first Skip alone and then hits the next Times (so Skip 1, Times 2 hits
// the 2nd and 3rd matching requests).
type HTTPFault struct {
	// Route is a route key as in Counters, e.g. "POST /v1/clusters" or
	// "GET /v1/clusters/{id}"; Pattern, if set instead, is a regular
	// expression matched against "METHOD /path" as received (e.g.
	// `^DELETE /container-infra/v1/clusters/`). One of them is required.
	Route   string `json:"route,omitempty"`
	Pattern string `json:"pattern,omitempty"`
	// Skip is how many matching requests pass before the fault applies.
	Skip int `json:"skip,omitempty"`
	// Times is how many matching requests it hits after Skip; 0 means 1,
	// and a negative number means every one from then on.
	Times int           `json:"times,omitempty"`
	Kind  HTTPFaultKind `json:"kind"`
	// Status is the HTTP status of a FaultStatus; 503 when zero.
	Status int `json:"status,omitempty"`
	// RetryAfter is sent verbatim as Retry-After with a FaultStatus
	// (delta-seconds such as "1", or an HTTP date).
	RetryAfter string `json:"retry_after,omitempty"`
	// Message replaces the error text of a FaultStatus.
	Message string `json:"message,omitempty"`
	// Delay is how long a FaultStall holds the response; 30s when zero.
	Delay time.Duration `json:"delay,omitempty"`
	// AfterServe, set from Go only, runs once a FaultStall or
	// FaultDropResponse request has been served and before its answer is
	// held or dropped: what a test does there (another user creating an
	// object of the same name, say) happens before the client can react.
	AfterServe func() `json:"-"`
}

type armedHTTPFault struct {
	HTTPFault
	re      *regexp.Regexp
	matched int
	hits    int
}

type httpFaults struct {
	mu    sync.Mutex
	armed []*armedHTTPFault
}

// Validate reports a fault that could never apply or that names an
// unknown kind.
func (f HTTPFault) Validate() error {
	if (f.Route == "") == (f.Pattern == "") {
		return errors.New("http fault: set exactly one of route and pattern")
	}
	if f.Pattern != "" {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			return fmt.Errorf("http fault: pattern: %w", err)
		}
	}
	if f.Skip < 0 {
		return errors.New("http fault: skip must not be negative")
	}
	switch f.Kind {
	case FaultStatus, FaultServedStatus:
		if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
			return fmt.Errorf("http fault: status %d is not an error status", f.Status)
		}
	case FaultReset, FaultStall, FaultDropResponse, FaultExpireToken:
	default:
		return fmt.Errorf("http fault: kind %q is not one of status, served-status, reset, stall, drop-response, expire-token", f.Kind)
	}
	return nil
}

// InjectHTTPFault arms f. It fails only when f does not validate.
func (s *Sim) InjectHTTPFault(f HTTPFault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	a := &armedHTTPFault{HTTPFault: f}
	if f.Pattern != "" {
		a.re = regexp.MustCompile(f.Pattern)
	}
	s.httpFaults.mu.Lock()
	defer s.httpFaults.mu.Unlock()
	s.httpFaults.armed = append(s.httpFaults.armed, a)
	return nil
}

// ClearHTTPFaults disarms every HTTP fault.
func (s *Sim) ClearHTTPFaults() {
	s.httpFaults.mu.Lock()
	defer s.httpFaults.mu.Unlock()
	s.httpFaults.armed = nil
}

// HTTPFaultHits reports how many requests each armed fault has hit, in
// the order they were armed, so a test can tell an unused fault from one
// the client recovered from.
func (s *Sim) HTTPFaultHits() []int {
	s.httpFaults.mu.Lock()
	defer s.httpFaults.mu.Unlock()
	out := make([]int, len(s.httpFaults.armed))
	for i, a := range s.httpFaults.armed {
		out[i] = a.hits
	}
	return out
}

// takeHTTPFault counts r against every armed fault and returns the first
// one that hits it. Every fault sees every request, so two faults on one
// route count the same requests.
func (s *Sim) takeHTTPFault(route, raw string) *HTTPFault {
	s.httpFaults.mu.Lock()
	defer s.httpFaults.mu.Unlock()
	var hit *HTTPFault
	for _, a := range s.httpFaults.armed {
		if (a.re != nil && !a.re.MatchString(raw)) || (a.re == nil && a.Route != route) {
			continue
		}
		a.matched++
		times := a.Times
		if times == 0 {
			times = 1
		}
		if hit != nil || a.matched <= a.Skip || (times > 0 && a.hits >= times) {
			continue
		}
		a.hits++
		f := a.HTTPFault
		hit = &f
	}
	return hit
}

// ParseHTTPFault reads the -http-fault flag syntax
// "ROUTE-OR-/REGEXP/|KIND[|key=value…]", e.g.
//
//	POST /v1/clusters|drop-response
//	GET /v1/clusters/{id}|status|status=503|retry_after=1|skip=1|times=2
//	/^DELETE /container-infra//|reset
//
// Keys: status, retry_after, skip, times, delay (a Go duration), message.
func ParseHTTPFault(spec string) (HTTPFault, error) {
	parts := strings.Split(spec, "|")
	if len(parts) < 2 {
		return HTTPFault{}, fmt.Errorf("http fault %q: want ROUTE|KIND[|key=value...]", spec)
	}
	var f HTTPFault
	target := strings.TrimSpace(parts[0])
	if len(target) >= 2 && strings.HasPrefix(target, "/") && strings.HasSuffix(target, "/") {
		f.Pattern = target[1 : len(target)-1]
	} else {
		f.Route = target
	}
	f.Kind = HTTPFaultKind(strings.TrimSpace(parts[1]))
	for _, kv := range parts[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return HTTPFault{}, fmt.Errorf("http fault %q: %q is not key=value", spec, kv)
		}
		var err error
		switch strings.TrimSpace(k) {
		case "status":
			f.Status, err = strconv.Atoi(v)
		case "retry_after":
			f.RetryAfter = v
		case "skip":
			f.Skip, err = strconv.Atoi(v)
		case "times":
			f.Times, err = strconv.Atoi(v)
		case "delay":
			f.Delay, err = time.ParseDuration(v)
		case "message":
			f.Message = v
		default:
			err = errors.New("unknown key")
		}
		if err != nil {
			return HTTPFault{}, fmt.Errorf("http fault %q: %s: %w", spec, k, err)
		}
	}
	if err := f.Validate(); err != nil {
		return HTTPFault{}, fmt.Errorf("http fault %q: %w", spec, err)
	}
	return f, nil
}

// serve runs r through mux unless an HTTP fault hits it. It reports false
// when no response was written at all (the connection was closed).
func (s *Sim) serve(w *statusWriter, r *http.Request, mux *http.ServeMux) bool {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		mux.ServeHTTP(w, r)
		return true
	}
	// The route key is known before serving, so a fault can keep the
	// request from reaching its handler.
	if r.Pattern == "" {
		_, r.Pattern = mux.Handler(r)
	}
	f := s.takeHTTPFault(routeKey(r), r.Method+" "+r.URL.Path)
	if f == nil {
		mux.ServeHTTP(w, r)
		return true
	}
	if s.logf != nil {
		s.logf("injecting http fault %s into %s %s", f.Kind, r.Method, r.URL.Path)
	}
	switch f.Kind {
	case FaultStatus:
		writeFaultStatus(w, r, f)
		return true
	case FaultServedStatus:
		mux.ServeHTTP(&bufferedResponse{header: http.Header{}}, r)
		writeFaultStatus(w, r, f)
		return true
	case FaultExpireToken:
		s.backend.expireToken(r.Header.Get("X-Auth-Token"))
		mux.ServeHTTP(w, r)
		return true
	case FaultReset:
		hangUp(w)
		return false
	case FaultDropResponse:
		buf := &bufferedResponse{header: http.Header{}}
		mux.ServeHTTP(buf, r)
		if f.AfterServe != nil {
			f.AfterServe()
		}
		w.status = buf.status
		hangUp(w)
		return true
	case FaultStall:
		buf := &bufferedResponse{header: http.Header{}}
		mux.ServeHTTP(buf, r)
		if f.AfterServe != nil {
			f.AfterServe()
		}
		d := f.Delay
		if d <= 0 {
			d = 30 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			w.status = buf.status
			return true
		}
		buf.writeTo(w)
		return true
	}
	mux.ServeHTTP(w, r)
	return true
}

func writeFaultStatus(w http.ResponseWriter, r *http.Request, f *HTTPFault) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(status) + " (injected by the simulator)"
	}
	switch {
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout || status == http.StatusTooManyRequests:
		// What haproxy or a rate limiter in front of the API sends.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1>\n%s\n</body></html>\n", status, http.StatusText(status), msg)
	case strings.HasPrefix(r.URL.Path, magnumPrefix):
		writeMagnumError(w, errf(status, "%s", msg))
	default:
		keystoneError(w, status, http.StatusText(status), msg)
	}
}

// hangUp closes the client connection without a response. Connections
// that cannot be hijacked (HTTP/2) are aborted the way net/http aborts a
// handler.
func hangUp(w *statusWriter) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// RST rather than FIN: the client sees "connection reset".
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// bufferedResponse captures what a handler writes so the fault can decide
// whether, and when, the client gets it.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

func (b *bufferedResponse) writeTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body)
}

// controlHTTPFault serves POST /_sim/http-faults (arm one, 201) and
// DELETE /_sim/http-faults (disarm all, 204). Delay is also accepted as a
// Go duration string ("1500ms") under "delay".
func (s *Sim) controlHTTPFault(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		s.ClearHTTPFaults()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var req struct {
		HTTPFault
		Delay json.RawMessage `json:"delay,omitempty"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err == nil && len(req.Delay) > 0 {
		req.HTTPFault.Delay, err = parseJSONDuration(req.Delay)
	}
	if err == nil {
		err = s.InjectHTTPFault(req.HTTPFault)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, req.HTTPFault)
}

func parseJSONDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return time.ParseDuration(s)
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, errors.New("delay: want a duration string such as \"2s\" or nanoseconds")
	}
	return time.Duration(n), nil
}
