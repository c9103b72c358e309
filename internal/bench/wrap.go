package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// Terraform starts the provider itself, so to read the provider's peak
// memory the bench puts a wrapper where Terraform looks for the provider.
// The wrapper runs the real provider as its child with the same standard
// streams and environment (so the plugin handshake passes through
// untouched) and, when the child exits, appends the child's peak resident
// set (getrusage ru_maxrss, the kernel's VmHWM at exit) to a log.
const (
	// WrapEnv names the real provider binary; set, the bench binary acts
	// as the wrapper.
	WrapEnv = "MAGNUM_BENCH_PROVIDER"
	// RSSLogEnv names the file the wrapper appends "pid peak_kib" to.
	RSSLogEnv = "MAGNUM_BENCH_RSS_LOG"
)

// Wrap runs the provider at real with the process's arguments and
// reports its peak RSS. It returns the exit code to use.
func Wrap(real string, args []string) int {
	cmd := exec.Command(real, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "magnum-bench wrapper: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	signal.Stop(sigs)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if path := os.Getenv(RSSLogEnv); path != "" {
			if f, ferr := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); ferr == nil {
				fmt.Fprintf(f, "%d %d\n", cmd.ProcessState.Pid(), ru.Maxrss)
				_ = f.Close()
			}
		}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return max(ee.ExitCode(), 1)
	}
	if err != nil {
		return 1
	}
	return 0
}

// readRSSLog returns the provider processes a command started and the
// largest peak RSS among them, in KiB.
func readRSSLog(path string) (procs int, peakKiB int64, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		kib, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		procs++
		peakKiB = max(peakKiB, kib)
	}
	return procs, peakKiB, sc.Err()
}
