// Package release reads .goreleaser.yml, the one description of what a
// release holds, and builds the same artefacts locally with plain `go
// build` for `make release` (goreleaser itself is not run here: see
// .goreleaser.yml). It understands only the part of goreleaser's v2 schema
// the file uses and refuses keys it does not know, so a change to the file
// that this package would misread fails loudly instead of building
// something else.
package release

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"
)

// Config is the part of goreleaser's configuration the project uses.
type Config struct {
	Version     int       `yaml:"version"`
	ProjectName string    `yaml:"project_name"`
	Builds      []Build   `yaml:"builds"`
	Archives    []Archive `yaml:"archives"`
	Checksum    Checksum  `yaml:"checksum"`
	Signs       []Sign    `yaml:"signs"`
	Release     struct {
		ExtraFiles []ExtraFile `yaml:"extra_files"`
	} `yaml:"release"`
	Changelog struct {
		Disable bool `yaml:"disable"`
	} `yaml:"changelog"`
}

// Build is one of goreleaser's builds.
type Build struct {
	Env          []string   `yaml:"env"`
	ModTimestamp string     `yaml:"mod_timestamp"`
	Flags        []string   `yaml:"flags"`
	Ldflags      []string   `yaml:"ldflags"`
	Goos         []string   `yaml:"goos"`
	Goarch       []string   `yaml:"goarch"`
	Ignore       []Platform `yaml:"ignore"`
	Binary       string     `yaml:"binary"`
}

// Platform is a GOOS/GOARCH pair.
type Platform struct {
	Goos   string `yaml:"goos"`
	Goarch string `yaml:"goarch"`
}

func (p Platform) String() string { return p.Goos + "_" + p.Goarch }

// Archive is one of goreleaser's archives.
type Archive struct {
	Formats      []string `yaml:"formats"`
	NameTemplate string   `yaml:"name_template"`
	Files        []string `yaml:"files"`
}

// Checksum says how the sums file is named and what else it covers.
type Checksum struct {
	NameTemplate string      `yaml:"name_template"`
	Algorithm    string      `yaml:"algorithm"`
	ExtraFiles   []ExtraFile `yaml:"extra_files"`
}

// ExtraFile is a file from the repository published under a new name.
type ExtraFile struct {
	Glob         string `yaml:"glob"`
	NameTemplate string `yaml:"name_template"`
}

// Sign is one of goreleaser's signing steps.
type Sign struct {
	Artifacts string   `yaml:"artifacts"`
	Signature string   `yaml:"signature"`
	Args      []string `yaml:"args"`
}

// Load parses a goreleaser configuration, refusing unknown keys.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.Version != 2 {
		return nil, fmt.Errorf("%s: version %d, want goreleaser's schema version 2", path, c.Version)
	}
	if len(c.Builds) != 1 || len(c.Archives) != 1 {
		return nil, fmt.Errorf("%s: %d builds and %d archives; this package handles one of each", path, len(c.Builds), len(c.Archives))
	}
	return &c, nil
}

// Vars are the template fields goreleaser offers that the file may use.
// A template naming any other field fails to render.
type Vars struct {
	ProjectName     string
	Version         string
	Tag             string
	Commit          string
	CommitTimestamp string
	Os              string
	Arch            string
	Env             map[string]string
}

// Render executes one of the file's templates.
func Render(tmpl string, v Vars) (string, error) {
	t, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// Targets lists the platforms the build produces: every goos and goarch
// pair but the ignored ones, in the file's order.
func (b Build) Targets() []Platform {
	ignored := map[Platform]bool{}
	for _, p := range b.Ignore {
		ignored[p] = true
	}
	var out []Platform
	for _, goos := range b.Goos {
		for _, arch := range b.Goarch {
			if p := (Platform{goos, arch}); !ignored[p] {
				out = append(out, p)
			}
		}
	}
	return out
}

// Artefact is one platform's build as published.
type Artefact struct {
	Platform Platform
	Binary   string // the file inside the zip
	Zip      string
}

// Plan is every published name for one version.
type Plan struct {
	Vars      Vars
	Artefacts []Artefact
	Manifest  ExtraFile // Glob is the source, NameTemplate the rendered name
	Sums      string
	Signature string
	Ldflags   string
	Flags     []string
	Env       []string
	Files     []string
}

// Plan renders every name in the configuration for version (without the
// leading v) and the given environment.
func (c *Config) Plan(version string, env map[string]string) (*Plan, error) {
	v := Vars{ProjectName: c.ProjectName, Version: version, Tag: "v" + version, Env: env}
	b, a := c.Builds[0], c.Archives[0]
	if len(a.Formats) != 1 || a.Formats[0] != "zip" {
		return nil, fmt.Errorf("archive formats %v, want [zip]", a.Formats)
	}
	p := &Plan{Vars: v, Flags: b.Flags, Env: b.Env, Files: a.Files}
	var err error
	if p.Ldflags, err = Render(strings.Join(b.Ldflags, " "), v); err != nil {
		return nil, err
	}
	for _, t := range b.Targets() {
		pv := v
		pv.Os, pv.Arch = t.Goos, t.Goarch
		bin, err := Render(b.Binary, pv)
		if err != nil {
			return nil, err
		}
		if t.Goos == "windows" {
			// goreleaser appends the extension to Windows binaries.
			bin += ".exe"
		}
		zip, err := Render(a.NameTemplate, pv)
		if err != nil {
			return nil, err
		}
		p.Artefacts = append(p.Artefacts, Artefact{Platform: t, Binary: bin, Zip: zip + ".zip"})
	}
	if len(c.Checksum.ExtraFiles) != 1 {
		return nil, fmt.Errorf("checksum extra_files: %d, want the registry manifest alone", len(c.Checksum.ExtraFiles))
	}
	m := c.Checksum.ExtraFiles[0]
	if p.Manifest.NameTemplate, err = Render(m.NameTemplate, v); err != nil {
		return nil, err
	}
	p.Manifest.Glob = m.Glob
	if p.Sums, err = Render(c.Checksum.NameTemplate, v); err != nil {
		return nil, err
	}
	for _, s := range c.Signs {
		if s.Artifacts == "checksum" {
			// goreleaser's own variables, expanded after its templates.
			p.Signature = strings.ReplaceAll(s.Signature, "${artifact}", p.Sums)
		}
	}
	return p, nil
}

// Paths resolves the plan's repository files (the manifest and the files
// added to each zip) under root.
func (p *Plan) Paths(root string) (manifest string, files []string, err error) {
	ms, err := filepath.Glob(filepath.Join(root, p.Manifest.Glob))
	if err != nil || len(ms) != 1 {
		return "", nil, fmt.Errorf("manifest glob %q matches %d files, want 1", p.Manifest.Glob, len(ms))
	}
	for _, g := range p.Files {
		fs, err := filepath.Glob(filepath.Join(root, g))
		if err != nil || len(fs) == 0 {
			return "", nil, fmt.Errorf("archive file %q matches nothing", g)
		}
		files = append(files, fs...)
	}
	return ms[0], files, nil
}
