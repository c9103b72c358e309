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
	c.http.clock.observe(&http.Response{Header: http.Header{}}, local)
	if _, ok := c.ServerTime(local); ok {
		t.Fatal("an answer without Date made the clock known")
	}
	c.http.clock.observe(&http.Response{Header: http.Header{"Date": {local.Add(90 * time.Second).Format(http.TimeFormat)}}}, local)
	if got, ok := c.ServerTime(local.Add(time.Minute)); !ok || !got.Equal(local.Add(150*time.Second)) {
		t.Fatalf("after a Date 90 s ahead: %v, %v; want %v", got, ok, local.Add(150*time.Second))
	}
}
