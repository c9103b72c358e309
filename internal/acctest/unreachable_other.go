//go:build !unix

package acctest

import "testing"

// UnreachableURL needs a socket bound without listening, which this
// platform's syscall package cannot make; tests that need one skip.
func UnreachableURL(t testing.TB) string {
	t.Helper()
	t.Skip("an unreachable loopback address needs a unix socket API")
	return ""
}
