package magnum

import (
	"net/http"
	"sync"
	"time"
)

// serverClock estimates how far Magnum's clock is from ours, from the Date
// header of its answers. Magnum stamps created_at with its own clock, so a
// caller that asks "was this made after my request?" must compare in that
// clock, not in the local one.
type serverClock struct {
	mu     sync.Mutex
	offset time.Duration
	known  bool
	// lo and hi bound the skew (Magnum's clock minus ours) by every
	// answer since the last contradiction: the server wrote Date, a whole
	// second, between the request's sending and the answer's arrival.
	lo, hi time.Duration
}

// observe records the offset a response to a request sent at sent shows.
// The Date header has whole seconds, so the estimate runs up to a second
// (plus the network delay) behind the server: a lower bound, which is the
// safe side for "created at or after". Each answer also bounds the skew;
// answers whose second falls at different moments of ours narrow it to
// about a round trip.
func (c *serverClock) observe(resp *http.Response, sent, received time.Time) {
	if c == nil || resp == nil {
		return
	}
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return
	}
	lo, hi := d.Sub(received), d.Add(time.Second).Sub(sent)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && lo <= c.hi && hi >= c.lo {
		c.lo, c.hi = max(lo, c.lo), min(hi, c.hi)
	} else {
		// The first answer, or a clock that was stepped.
		c.lo, c.hi = lo, hi
	}
	c.offset, c.known = lo, true
}

// ClockSkew returns the bounds the answers so far put on Magnum's clock
// minus ours; ok is false before an answer with a Date header.
func (c *Client) ClockSkew() (lo, hi time.Duration, ok bool) {
	clk := c.http.clock
	if clk == nil {
		return 0, 0, false
	}
	clk.mu.Lock()
	defer clk.mu.Unlock()
	return clk.lo, clk.hi, clk.known
}

// ServerTime converts a local instant to Magnum's clock. ok is false until
// Magnum has answered with a Date header; the local time is then returned
// unchanged.
func (c *Client) ServerTime(local time.Time) (t time.Time, ok bool) {
	clk := c.http.clock
	if clk == nil {
		return local, false
	}
	clk.mu.Lock()
	defer clk.mu.Unlock()
	return local.Add(clk.offset), clk.known
}
