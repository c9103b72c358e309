package release

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Snapshot builds the plan's zips, the manifest copy and the sums file in
// out, as goreleaser would, for the platforms in only (all when empty). It
// signs nothing: the key lives with the release workflow.
func Snapshot(ctx context.Context, root, out string, p *Plan, only map[string]bool, logf func(string, ...any)) error {
	manifest, files, err := p.Paths(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "magnum-release-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	var summed []string
	for _, a := range p.Artefacts {
		if len(only) > 0 && !only[a.Platform.String()] {
			continue
		}
		bin := filepath.Join(tmp, a.Platform.String(), a.Binary)
		args := append(append([]string{"build"}, p.Flags...), "-ldflags", p.Ldflags, "-o", bin, ".")
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(append(os.Environ(), p.Env...), "GOOS="+a.Platform.Goos, "GOARCH="+a.Platform.Goarch)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build for %s: %v\n%s", a.Platform, err, b)
		}
		if err := writeZip(filepath.Join(out, a.Zip), append([]string{bin}, files...)); err != nil {
			return err
		}
		summed = append(summed, a.Zip)
		logf("built %s", a.Zip)
	}
	if len(summed) == 0 {
		return fmt.Errorf("no platform of the configuration matches %v", keys(only))
	}
	if err := copyFile(manifest, filepath.Join(out, p.Manifest.NameTemplate)); err != nil {
		return err
	}
	summed = append(summed, p.Manifest.NameTemplate)
	sort.Strings(summed)
	var sums strings.Builder
	for _, name := range summed {
		h, err := sha256File(filepath.Join(out, name))
		if err != nil {
			return err
		}
		// sha256sum's format, which the Registry and goreleaser use.
		fmt.Fprintf(&sums, "%s  %s\n", h, name)
	}
	if err := os.WriteFile(filepath.Join(out, p.Sums), []byte(sums.String()), 0o644); err != nil {
		return err
	}
	logf("wrote %s (sign it as %s with the release key)", p.Sums, p.Signature)
	return nil
}

// writeZip stores each file flat, under its base name, as goreleaser's
// archives do with the files it is given.
func writeZip(path string, files []string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, src := range files {
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		hdr, err := zip.FileInfoHeader(st)
		if err != nil {
			return err
		}
		hdr.Name, hdr.Method = filepath.Base(src), zip.Deflate
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		r, err := os.Open(src)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
