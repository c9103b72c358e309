package phasecache

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	tests := []struct {
		value, wantPath string
	}{
		{"", "/xdg/terraform-provider-magnum/" + fileName},
		{"off", ""},
		{"OFF", ""},
		{"0", ""},
		{"false", ""},
		{"none", ""},
		{"/var/cache/tf", "/var/cache/tf/" + fileName},
	}
	for _, tt := range tests {
		s, why := FromEnv(tt.value)
		if got := s.Path(); got != tt.wantPath {
			t.Errorf("%s=%q: cache at %q, want %q", EnvVar, tt.value, got, tt.wantPath)
		}
		if s == nil && why == "" {
			t.Errorf("%s=%q: off without a reason", EnvVar, tt.value)
		}
	}
}

func TestSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := Open(dir)
	a.now = clock
	if _, ok := a.Load("https://magnum.example/v1/"); ok {
		t.Fatal("an empty cache returned a value")
	}
	if err := a.Save("https://magnum.example/v1/", json.RawMessage(`{"lo_ns":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.Save("https://other.example/v1/", json.RawMessage(`{"lo_ns":2}`)); err != nil {
		t.Fatal(err)
	}
	// Another process: a new Store on the same directory.
	b := Open(dir)
	b.now = clock
	for key, want := range map[string]string{"https://magnum.example/v1/": `{"lo_ns":1}`, "https://other.example/v1/": `{"lo_ns":2}`} {
		got, ok := b.Load(key)
		if !ok || string(got) != want {
			t.Errorf("%s: %s (%t), want %s", key, got, ok, want)
		}
	}
	if _, ok := b.Load("https://unknown.example/v1/"); ok {
		t.Error("a cloud never saved has a value")
	}
	info, err := os.Stat(filepath.Join(dir, fileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the cache file is %v, want -rw-------", info.Mode().Perm())
	}
	// A month on, the cloud's conductors have most likely restarted.
	now = now.Add(maxAge + time.Hour)
	if _, ok := b.Load("https://magnum.example/v1/"); ok {
		t.Error("a value older than maxAge was loaded")
	}
	if err := b.Save("https://third.example/v1/", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, fileName))
	var all map[string]entry
	if err := json.Unmarshal(raw, &all); err != nil || len(all) != 1 {
		t.Errorf("after a save a month on the file holds %d clouds (%v), want the new one only: %s", len(all), err, raw)
	}
}

func TestSaveBoundsAndRepairs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, fileName)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	s := Open(dir)
	// "k" is the oldest entry: saved an hour before the others.
	s.now = func() time.Time { return start.Add(-time.Hour) }
	if _, ok := s.Load("k"); ok {
		t.Fatal("a corrupt file returned a value")
	}
	if err := s.Save("k", json.RawMessage(`{"a":1}`)); err != nil {
		t.Fatalf("a corrupt file is replaced, got %v", err)
	}
	again := Open(dir)
	again.now = s.now
	if got, ok := again.Load("k"); !ok || string(got) != `{"a":1}` {
		t.Fatalf("after repair: %s (%t)", got, ok)
	}

	n := 0
	s.now = func() time.Time { return start.Add(time.Duration(n) * time.Minute) }
	for n = range maxEntries + 10 {
		if err := s.Save(fmt.Sprintf("http://127.0.0.1:%d/v1/", 40000+n), json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(path)
	var all map[string]entry
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	if len(all) != maxEntries {
		t.Errorf("%d clouds kept, want the %d most recent", len(all), maxEntries)
	}
	if _, ok := all[fmt.Sprintf("http://127.0.0.1:%d/v1/", 40000+maxEntries+9)]; !ok {
		t.Error("the newest cloud was dropped")
	}
	if _, ok := all["k"]; ok {
		t.Error("the oldest cloud was kept")
	}
}

// Saving what this process saved last does not touch the file: the
// provider saves after every wait.
func TestSaveSameValueWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, fileName)
	s := Open(dir)
	if err := s.Save("k", json.RawMessage(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	// Every write replaces the file by a rename, so a file that is still
	// the same one was not written; this holds for root too, whom a
	// read-only directory would not stop.
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save("k", json.RawMessage(`{"a":1}`)); err != nil {
		t.Errorf("the same value again: %v", err)
	}
	same, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, same) {
		t.Error("saving the same value again rewrote the file")
	}
	if err := s.Save("k", json.RawMessage(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	if changed, err := os.Stat(path); err != nil || os.SameFile(before, changed) {
		t.Errorf("a new value left the file as it was (%v)", err)
	}
	var off *Store
	if err := off.Save("k", json.RawMessage(`{}`)); err != nil {
		t.Error(err)
	}
	if _, ok := off.Load("k"); ok {
		t.Error("a cache that is off returned a value")
	}
}
