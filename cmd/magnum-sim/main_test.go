package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunPrintsExportsAndStopsOnSignal(t *testing.T) {
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"-project", "alt", "-fail", "web:CREATE", "-fail", "db:DELETE::Port in use",
			"-heat-create", "1s", "-conductor-interval", "2s", "-latency", "1ms"}, pw, &stderr)
		pw.Close()
	}()

	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(env) < 9 && sc.Scan() {
		line := sc.Text()
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			t.Fatalf("stdout line %q is not an export", line)
		}
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if env["OS_USERNAME"] != "alt" || env["OS_PROJECT_NAME"] != "alt" || env["OS_IDENTITY_API_VERSION"] != "3" ||
		!strings.HasPrefix(env["OS_AUTH_URL"], "http://127.0.0.1:") {
		t.Fatalf("exports = %v", env)
	}
	res, err := http.Get(env["OS_AUTH_URL"])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET OS_AUTH_URL: %d", res.StatusCode)
	}

	// run has registered for SIGTERM before printing, so this reaches it
	// rather than killing the test binary.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, stderr %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "Kubernetes bays get ") {
		t.Errorf("stderr does not say which Kubernetes API bays get: %q", stderr.String())
	}
	if rest, _ := io.ReadAll(pr); len(rest) != 0 {
		t.Errorf("extra stdout after exports: %q", rest)
	}
	// Whether something answers on the port proves nothing: another test
	// process may have been given it since. What must hold is that this
	// process no longer listens there.
	u, err := url.Parse(env["OS_AUTH_URL"])
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && listensOn(t, u.Port()) {
		t.Errorf("simulator still listening on port %s after shutdown", u.Port())
	}
}

// listensOn reports whether a socket of this process listens on the TCP
// port, from /proc: the inodes of our socket descriptors against the
// kernel's table of listening sockets.
func listensOn(t *testing.T, port string) bool {
	t.Helper()
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			ours[strings.TrimSuffix(inode, "]")] = true
		}
	}
	wantLocal := fmt.Sprintf(":%04X", p)
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		raw, err := os.ReadFile(table)
		if err != nil {
			continue // no IPv6
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) > 9 && f[3] == "0A" && strings.HasSuffix(f[1], wantLocal) && ours[f[9]] {
				return true
			}
		}
	}
	return false
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-profile", "antelope"}, 1},
		{[]string{"-project", "nobody"}, 2},
		{[]string{"-nosuchflag"}, 2},
		{[]string{"extra"}, 2},
		{[]string{"-fail", "web:RESTART"}, 2},
		{[]string{"-fail", "web"}, 2},
		{[]string{"-transient-delete-error", "maybe"}, 2},
		{[]string{"-http-fault", "GET /v1/clusters|explode"}, 2},
		{[]string{"-http-fault", "GET /v1/clusters"}, 2},
		{[]string{"-cacert-out", "ca.pem"}, 2},
		{[]string{"-kube-api", "sometimes"}, 1},
		{[]string{"-kube-api", "real", "-kube-bins", "/nonexistent"}, 1},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q", tc.args, code, out.String(), errb.String())
		}
	}
}

// Without the real binaries, -kube-api=real refuses to start and says how
// to build them.
func TestRunKubeAPIRealNeedsBinaries(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-kube-api", "real", "-kube-bins", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "make kube-bins") {
		t.Errorf("code %d, stderr %q", code, errb.String())
	}
}
