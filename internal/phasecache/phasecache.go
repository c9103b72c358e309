// Package phasecache keeps what the provider learnt of each cloud's
// Magnum conductors between terraform commands: the grids of their
// periodic status syncs, as an opaque JSON value per cloud, in one small
// file in the user's cache directory.
//
// A conductor's sync grid is fixed when it starts and holds until it
// restarts, so it is a property of the cloud, not of a working directory
// or a state. Every terraform command starts a new provider process; with
// the grid kept here, the first create in a new working directory polls
// just after the syncs from its start instead of about once a second.
// The file holds no secret: endpoint URLs and offsets into a 10 s period.
// It is best effort: a missing, unreadable or unwritable file only costs
// the polls the grid would have saved.
package phasecache

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// EnvVar names the variable that moves the cache ("off" turns it off).
const EnvVar = "MAGNUM_PHASE_CACHE"

// fileName is the cache's file in its directory.
const fileName = "conductor-phase.json"

// maxAge drops clouds not written for this long: their conductors have
// most likely restarted (an upgrade, a reboot) since.
const maxAge = 30 * 24 * time.Hour

// maxEntries bounds the file: the demo and the tests start a simulator on
// a new port every time.
const maxEntries = 64

// Store is the cache file. A nil *Store is a cache that is off.
type Store struct {
	path string
	now  func() time.Time

	mu    sync.Mutex
	saved map[string]string // what this process last wrote, per key
}

type entry struct {
	Saved time.Time       `json:"saved"`
	Value json.RawMessage `json:"value"`
}

// Open returns the cache kept in dir.
func Open(dir string) *Store {
	return &Store{path: filepath.Join(dir, fileName), now: time.Now, saved: map[string]string{}}
}

// FromEnv returns the cache the value of EnvVar asks for: off for "off",
// "0", "false" or "none"; in that directory for a path; otherwise in
// terraform-provider-magnum under the user's cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux). Nil, with the
// reason, when it is off or no directory is known.
func FromEnv(value string) (*Store, string) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "off", "0", "false", "none":
		return nil, EnvVar + " is " + value
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, err.Error()
		}
		return Open(filepath.Join(dir, "terraform-provider-magnum")), ""
	}
	return Open(value), ""
}

// Path is the cache file's path.
func (s *Store) Path() string {
	if s == nil {
		return ""
	}
	return s.path
}

// Load returns the value kept for key.
func (s *Store) Load(key string) (json.RawMessage, bool) {
	if s == nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.read()
	if err != nil {
		return nil, false
	}
	e, ok := all[key]
	if !ok || len(e.Value) == 0 || s.now().Sub(e.Saved) > maxAge {
		return nil, false
	}
	return e.Value, true
}

// Save keeps value for key, leaving the other keys as they are. Writing
// the same value again is a no-op, so callers may save after every wait.
// The file is replaced by a rename, so a reader never sees half of it;
// two processes saving at once may lose one's value, never the file.
func (s *Store) Save(key string, value json.RawMessage) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved[key] == string(value) {
		return nil
	}
	all, err := s.read()
	if err != nil {
		// A file that cannot be parsed is replaced; one that cannot be
		// read is left alone.
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if !errors.As(err, &syntax) && !errors.As(err, &typ) {
			return err
		}
		all = map[string]entry{}
	}
	now := s.now()
	all[key] = entry{Saved: now, Value: value}
	for k, e := range all {
		if now.Sub(e.Saved) > maxAge {
			delete(all, k)
		}
	}
	if len(all) > maxEntries {
		keys := make([]string, 0, len(all))
		for k := range all {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return all[keys[i]].Saved.After(all[keys[j]].Saved) })
		for _, k := range keys[maxEntries:] {
			delete(all, k)
		}
	}
	raw, err := json.Marshal(all)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), fileName+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	s.saved[key] = string(value)
	return nil
}

// read parses the whole file; a missing file is an empty cache.
func (s *Store) read() (map[string]entry, error) {
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]entry{}, nil
	}
	if err != nil {
		return nil, err
	}
	all := map[string]entry{}
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return all, nil
}
