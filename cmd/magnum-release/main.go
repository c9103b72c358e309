// Command magnum-release builds the release artefacts .goreleaser.yml
// describes (zips per platform, the registry manifest, SHA256SUMS) into
// dist/ with plain `go build`, for a local look at a release: `make
// release`. Releases themselves are goreleaser's job, in
// .github/workflows/release.yml, which also signs the sums.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/release"
)

func main() {
	config := flag.String("config", ".goreleaser.yml", "goreleaser configuration")
	out := flag.String("out", "dist", "output directory (emptied first)")
	version := flag.String("version", "0.0.0-dev", "version, without the leading v")
	platforms := flag.String("platforms", "", "comma-separated os_arch list to build (default: all the configuration builds)")
	flag.Parse()

	c, err := release.Load(*config)
	if err != nil {
		fail(err)
	}
	p, err := c.Plan(strings.TrimPrefix(*version, "v"), map[string]string{"GPG_FINGERPRINT": "(the release key)"})
	if err != nil {
		fail(err)
	}
	only := map[string]bool{}
	for _, s := range strings.Split(*platforms, ",") {
		if s = strings.TrimSpace(s); s != "" {
			only[s] = true
		}
	}
	if err := os.RemoveAll(*out); err != nil {
		fail(err)
	}
	logf := func(f string, a ...any) { fmt.Printf(f+"\n", a...) }
	if err := release.Snapshot(context.Background(), ".", *out, p, only, logf); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "magnum-release:", err)
	os.Exit(1)
}
