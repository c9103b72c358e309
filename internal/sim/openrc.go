package sim

import (
	"bufio"
	"io"
	"strings"
)

// ParseOpenRC reads the `export K=V` lines of an openrc file, without a
// shell: how the tests and the benchmark learn a real stack's credentials
// before they start a relay to it.
func ParseOpenRC(r io.Reader) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "export ") {
			continue
		}
		for _, field := range strings.Fields(strings.TrimPrefix(line, "export ")) {
			if k, v, ok := strings.Cut(field, "="); ok {
				vars[k] = strings.Trim(v, `'"`)
			}
		}
	}
	return vars, sc.Err()
}
