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
}

// observe records the offset a response shows. The Date header has whole
// seconds, so the estimate runs up to a second (plus the network delay)
// behind the server: a lower bound, which is the safe side for "created
// at or after".
func (c *serverClock) observe(resp *http.Response, received time.Time) {
	if c == nil || resp == nil {
		return
	}
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return
	}
	c.mu.Lock()
	c.offset, c.known = d.Sub(received), true
	c.mu.Unlock()
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
