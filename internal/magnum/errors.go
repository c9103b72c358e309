package magnum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2"
)

// Error is an HTTP error answered by Magnum (or, through ConvertError, by
// Heat or Keystone). Message is the human sentence the service wrote, not
// the raw body.
type Error struct {
	// Service names the API for the message prefix: "Magnum" unless set.
	Service    string
	StatusCode int
	Method     string
	URL        string
	Message    string
	// Code is the service's own error code when it sends one: Magnum's
	// "client"/"server"/"magnum.microversion-unsupported", Keystone's title,
	// Heat's exception type.
	Code string
	// RequestID comes from the X-OpenStack-Request-Id header. Magnum's body
	// also has a request_id, but it is always empty (FINDINGS).
	RequestID string
	// RetryAfter is the server's Retry-After hint, zero when absent.
	RetryAfter time.Duration
	// Microversion is the version the request carried, for 406 diagnostics.
	Microversion string
}

func (e *Error) Error() string {
	var b strings.Builder
	svc := e.Service
	if svc == "" {
		svc = "Magnum"
	}
	fmt.Fprintf(&b, "%s API: %s %s returned HTTP %d", svc, e.Method, e.URL, e.StatusCode)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// HTTPStatusCode lets packages that must not import this one (the waiter)
// classify errors by duck typing.
func (e *Error) HTTPStatusCode() int { return e.StatusCode }

// RetryAfterHint exposes RetryAfter to the waiter by duck typing.
func (e *Error) RetryAfterHint() time.Duration { return e.RetryAfter }

// Message returns Magnum's own message of the first *Error in err's
// chain, or err's text when there is none.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// StatusCode returns the HTTP status of the first *Error in err's chain, or 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports an HTTP 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports an HTTP 409, e.g. a name matching several resources.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// OutcomeUnknownError says a non-idempotent request (a POST) may or may not
// have been carried out: the connection failed after the request was sent,
// the context ended while waiting, or a gateway answered 502/504. The caller
// must look the object up (by name) before doing anything else, or it may
// create a second cluster.
type OutcomeUnknownError struct {
	Method, URL string
	Err         error
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("Magnum API: %s %s: outcome unknown, the cloud may or may not have carried out the request: %v",
		e.Method, e.URL, e.Err)
}

func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// IsOutcomeUnknown reports whether err is (or wraps) an OutcomeUnknownError.
func IsOutcomeUnknown(err error) bool {
	var e *OutcomeUnknownError
	return errors.As(err, &e)
}

// UnsupportedError is returned before any request is sent when an operation
// needs a newer microversion than the one negotiated.
type UnsupportedError struct {
	Operation string
	Need      Version
	Have      Version
	// ServerMax is what the cloud offers; it differs from Have when the
	// client is pinned lower.
	ServerMax Version
}

func (e *UnsupportedError) Error() string {
	msg := fmt.Sprintf("%s needs Magnum API microversion %s; this cloud offers up to %s", e.Operation, e.Need, e.ServerMax)
	if e.Have.Less(e.ServerMax) {
		msg += fmt.Sprintf(" but the provider is pinned to %s", e.Have)
	}
	return msg
}

// IsUnsupported reports whether err is an UnsupportedError.
func IsUnsupported(err error) bool {
	var e *UnsupportedError
	return errors.As(err, &e)
}

const maxRawMessage = 512

// ConvertError turns gophercloud's HTTP errors into *Error for the named
// service ("Magnum", "Heat"). Other errors are returned unchanged.
func ConvertError(service string, err error) error {
	return convertError(service, err, time.Now())
}

func convertError(service string, err error, now time.Time) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	var reauth gophercloud.ErrUnableToReauthenticate
	var reauthP *gophercloud.ErrUnableToReauthenticate
	switch {
	case errors.As(err, &reauth):
		return unableToReauth(service, reauth.ErrOriginal, reauth.ErrReauth, now)
	case errors.As(err, &reauthP):
		return unableToReauth(service, reauthP.ErrOriginal, reauthP.ErrReauth, now)
	}
	if rc, ok := unexpectedCode(err); ok {
		return fromResponse(service, rc.Method, rc.URL, rc.Actual, rc.Body, rc.ResponseHeader, now)
	}
	return err
}

func unableToReauth(service string, original, reauthErr error, now time.Time) error {
	e := &Error{Service: service, StatusCode: http.StatusUnauthorized}
	if rc, ok := unexpectedCode(original); ok {
		e = fromResponse(service, rc.Method, rc.URL, rc.Actual, rc.Body, rc.ResponseHeader, now)
	}
	e.Message = strings.TrimSpace(e.Message + " (re-authentication failed: " + fmt.Sprint(reauthErr) + ")")
	return e
}

// unexpectedCode finds gophercloud's ErrUnexpectedResponseCode, which it
// returns by value from the request path but by pointer elsewhere; the
// re-authentication wrappers keep it as ErrOriginal.
func unexpectedCode(err error) (gophercloud.ErrUnexpectedResponseCode, bool) {
	var v gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &v) {
		return v, true
	}
	var p *gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &p) && p != nil {
		return *p, true
	}
	var after gophercloud.ErrErrorAfterReauthentication
	if errors.As(err, &after) {
		return unexpectedCode(after.ErrOriginal)
	}
	var afterP *gophercloud.ErrErrorAfterReauthentication
	if errors.As(err, &afterP) && afterP != nil {
		return unexpectedCode(afterP.ErrOriginal)
	}
	return v, false
}

func fromResponse(service, method, url string, status int, body []byte, h http.Header, now time.Time) *Error {
	e := &Error{Service: service, StatusCode: status, Method: method, URL: url}
	if h != nil {
		e.RequestID = h.Get("X-OpenStack-Request-Id")
		e.RetryAfter = parseRetryAfter(h.Get("Retry-After"), now)
	}
	e.Message, e.Code = parseErrorBody(body)
	return e
}

// parseErrorBody understands the three shapes OpenStack APIs use:
// Magnum's {"errors":[{detail,title,code}]}, Keystone's and Heat's
// {"error":{message,title|type}}, and anything else as (truncated) text.
func parseErrorBody(body []byte) (message, code string) {
	var doc struct {
		Errors []struct {
			Detail     string `json:"detail"`
			Title      string `json:"title"`
			Code       string `json:"code"`
			MinVersion string `json:"min_version"`
			MaxVersion string `json:"max_version"`
		} `json:"errors"`
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil {
		if len(doc.Errors) > 0 {
			first := doc.Errors[0]
			msg := first.Detail
			if msg == "" {
				msg = first.Title
			}
			if first.MaxVersion != "" {
				msg = strings.TrimSpace(fmt.Sprintf("%s (the server supports %s to %s)", msg, first.MinVersion, first.MaxVersion))
			}
			return msg, first.Code
		}
		if len(doc.Error) > 0 {
			var inner struct {
				Message string `json:"message"`
				Title   string `json:"title"`
				Type    string `json:"type"`
			}
			if json.Unmarshal(doc.Error, &inner) == nil {
				code := inner.Type
				if code == "" {
					code = inner.Title
				}
				msg := inner.Message
				if msg == "" {
					msg = inner.Title
				}
				return msg, code
			}
			var s string
			if json.Unmarshal(doc.Error, &s) == nil {
				return truncate(s), ""
			}
		}
	}
	text := strings.TrimSpace(string(body))
	if strings.HasPrefix(text, "<") {
		// A proxy's HTML error page: its words without the markup.
		text = htmlText(text)
	}
	return truncate(text), ""
}

// htmlText drops tags and collapses white space. It is no HTML parser,
// only enough for the one-line pages haproxy, nginx and Apache send.
func htmlText(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func truncate(s string) string {
	if len(s) <= maxRawMessage {
		return s
	}
	cut := maxRawMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

const maxRetryAfterSeconds = 24 * 60 * 60

// parseRetryAfter reads delta-seconds or an HTTP date; garbage and past
// dates give zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		// Beyond a day the hint is useless, and beyond ~292 years it
		// would overflow into a negative wait.
		return time.Duration(min(n, maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// explain adds a sentence where Magnum's body says nothing: a blank 406
// means the method does not exist at the microversion sent, a blank 404 an
// unknown path.
func (e *Error) explain() {
	if e.Message != "" {
		return
	}
	switch e.StatusCode {
	case http.StatusNotAcceptable:
		e.Message = "this operation is not available at microversion " + e.Microversion
	case http.StatusNotFound:
		e.Message = "no such API path; check the container-infra endpoint"
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
