package magnum

import (
	"net/http"
	"testing"
	"time"
)

func TestServerClock(t *testing.T) {
	c := &Client{http: requester{clock: &serverClock{}}}
	local := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if got, ok := c.ServerTime(local); ok || !got.Equal(local) {
		t.Fatalf("before any answer: %v, %v; want the local time, unknown", got, ok)
	}
	// A server 90 s ahead, seen through a header without the Date.
	c.http.clock.observe(&http.Response{Header: http.Header{}}, local, local)
	if _, ok := c.ServerTime(local); ok {
		t.Fatal("an answer without Date made the clock known")
	}
	c.http.clock.observe(&http.Response{Header: http.Header{"Date": {local.Add(90 * time.Second).Format(http.TimeFormat)}}}, local, local)
	if got, ok := c.ServerTime(local.Add(time.Minute)); !ok || !got.Equal(local.Add(150*time.Second)) {
		t.Fatalf("after a Date 90 s ahead: %v, %v; want %v", got, ok, local.Add(150*time.Second))
	}
}

// Answers whose Date second turns over at different moments of ours narrow
// the skew to about a round trip; a stepped clock starts the bounds again.
func TestServerClockSkewBounds(t *testing.T) {
	c := &Client{http: requester{clock: &serverClock{}}}
	if _, _, ok := c.ClockSkew(); ok {
		t.Fatal("a skew before any answer")
	}
	const skew = 37300 * time.Millisecond
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	answer := func(sent time.Time, rtt time.Duration) {
		at := sent.Add(rtt / 2).Add(skew) // when the server wrote Date
		h := http.Header{"Date": {at.Format(http.TimeFormat)}}
		c.http.clock.observe(&http.Response{Header: h}, sent, sent.Add(rtt))
	}
	for i := range 20 {
		answer(base.Add(time.Duration(i)*1130*time.Millisecond), 40*time.Millisecond)
	}
	lo, hi, ok := c.ClockSkew()
	if !ok || lo > skew || hi < skew || hi-lo > 200*time.Millisecond {
		t.Fatalf("skew %s..%s (%t), want a bound of about a round trip around %s", lo, hi, ok, skew)
	}
	// Our clock is stepped a minute ahead: its answers contradict the
	// bounds, which start again from them.
	stepped := base.Add(time.Hour)
	h := http.Header{"Date": {stepped.Add(skew - time.Minute).Format(http.TimeFormat)}}
	c.http.clock.observe(&http.Response{Header: h}, stepped, stepped.Add(40*time.Millisecond))
	if lo, hi, _ := c.ClockSkew(); lo > skew-time.Minute || hi < skew-time.Minute || hi-lo > 1100*time.Millisecond {
		t.Errorf("after a minute's step, skew %s..%s, want one answer's bound around %s", lo, hi, skew-time.Minute)
	}
}
