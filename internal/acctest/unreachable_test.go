//go:build unix

package acctest

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// TestUnreachableURL: the address refuses connections, and while the test
// holds it no listener (as a parallel test's simulator would open) can
// take its port.
func TestUnreachableURL(t *testing.T) {
	u := UnreachableURL(t)
	hostPort := strings.TrimPrefix(u, "http://")
	if _, err := http.Get(u + "/v3"); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("GET %s: %v, want connection refused", u, err)
	}
	_, port, _ := net.SplitHostPort(hostPort)
	for _, addr := range []string{hostPort, ":" + port, "0.0.0.0:" + port} {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			t.Fatalf("another listener could bind %s while the test holds %s", addr, hostPort)
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("listen %s: %v, want address in use", addr, err)
		}
	}
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		got := ln.Addr().String()
		ln.Close()
		if got == hostPort {
			t.Fatalf("a listener on 127.0.0.1:0 was given the held port %s", hostPort)
		}
	}
}
