package magnum

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// Link is one of the self/bookmark links Magnum attaches to objects.
type Link = gophercloud.Link

// Labels decodes Magnum's label maps. Magnum stores values as strings, but
// older rows and other drivers can hold numbers or booleans; those are
// rendered the way Python's str() would, so they round-trip as Magnum
// shows them ("True", "5").
type Labels map[string]string

func (l *Labels) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		// Magnum's DB column is JSON text; a few code paths return it
		// still encoded.
		var s string
		if json.Unmarshal(b, &s) != nil {
			return fmt.Errorf("labels: %w", err)
		}
		if strings.TrimSpace(s) == "" {
			*l = Labels{}
			return nil
		}
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return fmt.Errorf("labels: %w", err)
		}
	}
	if raw == nil {
		*l = nil
		return nil
	}
	out := make(Labels, len(raw))
	for k, v := range raw {
		out[k] = pythonStr(v)
	}
	*l = out
	return nil
}

func pythonStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Timestamp parses Magnum's times: "2026-11-27T23:14:01+00:00", with or
// without a zone or fraction; null gives the zero time.
type Timestamp struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999"}

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, *s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("unrecognised timestamp %q", *s)
}

// ListOpts pages through a collection, the query of gophercloud's
// containerinfra ListOpts. Limit is the page size; the list methods follow
// the server's next links until the end regardless.
type ListOpts struct {
	Limit   int    `q:"limit"`
	Marker  string `q:"marker"`
	SortKey string `q:"sort_key"`
	SortDir string `q:"sort_dir"`
}
