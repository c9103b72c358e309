package release

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func loadPlan(t *testing.T, version string) (*Config, *Plan) {
	t.Helper()
	c, err := Load(filepath.Join(repoRoot(t), ".goreleaser.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan(version, map[string]string{"GPG_FINGERPRINT": "0123456789ABCDEF"})
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

// providerType reads the provider's registry address from main.go: the
// Registry names every artefact after its type.
func providerType(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Address:\s*"registry\.terraform\.io/[a-z0-9-]+/([a-z0-9-]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("main.go serves no registry.terraform.io address")
	}
	return string(m[1])
}

// TestGoreleaserConfigMatchesRegistryNaming renders every name
// .goreleaser.yml gives a release and checks it against the Terraform
// Registry's publishing rules: a zip per platform named
// terraform-provider-TYPE_VERSION_OS_ARCH.zip holding
// terraform-provider-TYPE_vVERSION, the manifest as
// terraform-provider-TYPE_VERSION_manifest.json in the sums and on the
// release, terraform-provider-TYPE_VERSION_SHA256SUMS and its detached
// signature SHA256SUMS.sig.
func TestGoreleaserConfigMatchesRegistryNaming(t *testing.T) {
	const version = "1.2.3"
	c, p := loadPlan(t, version)
	name := "terraform-provider-" + providerType(t)
	if c.ProjectName != name {
		t.Fatalf("project_name %q, want %q (main.go's registry address)", c.ProjectName, name)
	}

	dist, err := exec.CommandContext(t.Context(), "go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]bool{}
	for _, l := range strings.Fields(string(dist)) {
		ports[strings.Replace(l, "/", "_", 1)] = true
	}
	built := map[string]bool{}
	zips := map[string]bool{}
	for _, a := range p.Artefacts {
		plat := a.Platform.String()
		if !ports[plat] {
			t.Errorf("%s is not a platform this Go builds for (go tool dist list); add it to ignore", plat)
		}
		built[plat] = true
		if want := name + "_" + version + "_" + plat + ".zip"; a.Zip != want {
			t.Errorf("%s: zip %q, want %q", plat, a.Zip, want)
		}
		if zips[a.Zip] {
			t.Errorf("two platforms publish %s", a.Zip)
		}
		zips[a.Zip] = true
		want := name + "_v" + version
		if a.Platform.Goos == "windows" {
			want += ".exe"
		}
		if a.Binary != want {
			t.Errorf("%s: binary %q, want %q", plat, a.Binary, want)
		}
	}
	// The platforms Terraform itself is released for: a user on any of
	// them must find this provider.
	for _, plat := range []string{"linux_amd64", "linux_arm64", "linux_arm", "linux_386", "darwin_amd64", "darwin_arm64", "windows_amd64", "windows_386", "freebsd_amd64"} {
		if !built[plat] {
			t.Errorf("no release for %s", plat)
		}
	}

	if want := name + "_" + version + "_manifest.json"; p.Manifest.NameTemplate != want {
		t.Errorf("manifest published as %q, want %q", p.Manifest.NameTemplate, want)
	}
	var uploaded []string
	for _, f := range c.Release.ExtraFiles {
		n, err := Render(f.NameTemplate, p.Vars)
		if err != nil {
			t.Fatal(err)
		}
		if f.Glob == p.Manifest.Glob {
			uploaded = append(uploaded, n)
		}
	}
	if !slices.Equal(uploaded, []string{p.Manifest.NameTemplate}) {
		t.Errorf("the release uploads the manifest as %v, want [%s] (the name its checksum line has)", uploaded, p.Manifest.NameTemplate)
	}
	if want := name + "_" + version + "_SHA256SUMS"; p.Sums != want || c.Checksum.Algorithm != "sha256" {
		t.Errorf("sums %q (%s), want %q (sha256)", p.Sums, c.Checksum.Algorithm, want)
	}
	if want := p.Sums + ".sig"; p.Signature != want {
		t.Errorf("signature %q, want %q", p.Signature, want)
	}
	if len(c.Signs) != 1 {
		t.Fatalf("%d signs, want one over the checksum", len(c.Signs))
	}
	var args []string
	for _, a := range c.Signs[0].Args {
		r, err := Render(a, p.Vars)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, r)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"--batch", "--local-user 0123456789ABCDEF", "--output ${signature}", "--detach-sign ${artifact}"} {
		if !strings.Contains(joined, want) {
			t.Errorf("gpg arguments %q lack %q", joined, want)
		}
	}

	if !slices.Contains(p.Env, "CGO_ENABLED=0") || !slices.Contains(p.Flags, "-trimpath") {
		t.Errorf("build env %v flags %v: want a static, path-free build (CGO_ENABLED=0, -trimpath)", p.Env, p.Flags)
	}
	if !strings.Contains(p.Ldflags, "-X main.version="+version) {
		t.Errorf("ldflags %q do not set main.version", p.Ldflags)
	}
	vars := mainStringVars(t)
	for _, m := range regexp.MustCompile(`-X main\.(\w+)=`).FindAllStringSubmatch(p.Ldflags, -1) {
		// The linker ignores -X for a variable that does not exist.
		if !vars[m[1]] {
			t.Errorf("ldflags set main.%s, which main.go does not declare as a string variable", m[1])
		}
	}
}

// mainStringVars lists main.go's package-level string variables, the only
// ones -X can set.
func mainStringVars(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot(t), "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs, ok := s.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, n := range vs.Names {
				if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
					out[n.Name] = true
				} else if vs.Type == nil && i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[n.Name] = true
					}
				}
			}
		}
	}
	return out
}

// TestRegistryManifestDeclaresProtocolSix: the provider is served by
// terraform-plugin-framework's providerserver.Serve, which speaks plugin
// protocol 6 only; the Registry reads the supported protocols from the
// manifest.
func TestRegistryManifestDeclaresProtocolSix(t *testing.T) {
	_, p := loadPlan(t, "1.2.3")
	manifest, _, err := p.Paths(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", manifest, err)
	}
	if m.Version != 1 || !slices.Equal(m.Metadata.ProtocolVersions, []string{"6.0"}) {
		t.Errorf("manifest version %d protocols %v, want 1 and [6.0]", m.Version, m.Metadata.ProtocolVersions)
	}
	main, err := os.ReadFile(filepath.Join(repoRoot(t), "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(main, []byte("providerserver.Serve(")) {
		t.Error("main.go does not serve through providerserver.Serve (protocol 6): update the manifest")
	}
}

func TestLoadRefusesWhatItWouldMisread(t *testing.T) {
	for name, body := range map[string]string{
		"unknown key":     "version: 2\nproject_name: x\nbuilds: [{binary: x}]\narchives: [{formats: [zip], name_templat: x}]\n",
		"schema v1":       "version: 1\nproject_name: x\nbuilds: [{binary: x}]\narchives: [{formats: [zip]}]\n",
		"two builds":      "version: 2\nproject_name: x\nbuilds: [{binary: x}, {binary: y}]\narchives: [{formats: [zip]}]\n",
		"unknown section": "version: 2\nproject_name: x\nbuilds: [{binary: x}]\narchives: [{formats: [zip]}]\nnfpms: [{}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "g.yml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil {
				t.Fatal("loaded")
			}
		})
	}
}

func TestRenderRefusesUnknownFields(t *testing.T) {
	if _, err := Render("{{ .Arm }}", Vars{}); err == nil {
		t.Error("rendered a field goreleaser has but this package does not fill")
	}
	if _, err := Render("{{ .Env.NOPE }}", Vars{Env: map[string]string{}}); err == nil {
		t.Error("rendered an unset environment variable")
	}
	if got, err := Render("{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}", Vars{ProjectName: "p", Version: "1.0.0", Os: "linux", Arch: "arm64"}); err != nil || got != "p_1.0.0_linux_arm64" {
		t.Errorf("Render = %q, %v", got, err)
	}
}

// TestSnapshotBuildsWhatTheRegistryDownloads builds this machine's
// platform as `make release` does and opens the result as the Registry
// and `terraform init` would: the zip holds the versioned binary, the sums
// file covers the zip and the manifest with the right hashes, and the
// binary carries the version the ldflags set.
func TestSnapshotBuildsWhatTheRegistryDownloads(t *testing.T) {
	const version = "0.0.0-snapshot.4f2a91"
	_, p := loadPlan(t, version)
	plat := runtime.GOOS + "_" + runtime.GOARCH
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := Snapshot(ctx, repoRoot(t), out, p, map[string]bool{plat: true}, t.Logf); err != nil {
		t.Fatal(err)
	}
	var art Artefact
	for _, a := range p.Artefacts {
		if a.Platform.String() == plat {
			art = a
		}
	}
	if art.Zip == "" {
		t.Skipf("the release builds nothing for %s", plat)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{art.Zip, p.Manifest.NameTemplate, p.Sums}; !sameSet(names, want) {
		t.Fatalf("dist holds %v, want %v", names, want)
	}

	zr, err := zip.OpenReader(filepath.Join(out, art.Zip))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var inZip []string
	var binary []byte
	for _, f := range zr.File {
		inZip = append(inZip, f.Name)
		if f.Name == art.Binary {
			if f.Mode()&0o111 == 0 {
				t.Errorf("%s is not executable in the zip (mode %v)", f.Name, f.Mode())
			}
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			binary, err = io.ReadAll(r)
			_ = r.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if !sameSet(inZip, []string{art.Binary, "README.md", "CHANGELOG.md"}) {
		t.Errorf("zip holds %v, want %s, README.md and CHANGELOG.md", inZip, art.Binary)
	}
	if !bytes.Contains(binary, []byte(version)) {
		t.Errorf("%s does not carry version %s: the ldflags did not reach main.version", art.Binary, version)
	}

	sums, err := os.ReadFile(filepath.Join(out, p.Sums))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%s has %d lines, want the zip and the manifest:\n%s", p.Sums, len(lines), sums)
	}
	for _, l := range lines {
		hash, file, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("%q is not a sha256sum line", l)
		}
		b, err := os.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatalf("%s names %s: %v", p.Sums, file, err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != hash {
			t.Errorf("%s: hash %s does not match the file", file, hash)
		}
	}
	orig, _ := os.ReadFile(filepath.Join(repoRoot(t), "terraform-registry-manifest.json"))
	if copied, _ := os.ReadFile(filepath.Join(out, p.Manifest.NameTemplate)); !bytes.Equal(orig, copied) {
		t.Error("the published manifest differs from terraform-registry-manifest.json")
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
