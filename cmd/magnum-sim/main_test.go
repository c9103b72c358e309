package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
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
	if _, err := http.Get(env["OS_AUTH_URL"]); err == nil {
		t.Error("simulator still listening after shutdown")
	}
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
