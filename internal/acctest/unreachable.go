//go:build unix

package acctest

import (
	"fmt"
	"syscall"
	"testing"
)

// UnreachableURL returns "http://127.0.0.1:<port>" for a port this test
// holds bound but never listens on, until the test ends. A connection to
// it is refused ("connection refused"), and because the port stays bound
// no other test's simulator can be given it meanwhile: unlike a port that
// was merely free a moment ago, this address cannot answer.
func UnreachableURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	syscall.CloseOnExec(fd)
	t.Cleanup(func() { _ = syscall.Close(fd) })
	// No SO_REUSEADDR: no other socket may bind this port while we hold it.
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind 127.0.0.1:0: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("getsockname: unexpected address %T", sa)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", in4.Port)
}
