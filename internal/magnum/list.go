package magnum

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gophercloud/gophercloud/v2"
)

// maxPages bounds a listing so a server that keeps answering with the same
// next link cannot keep us looping.
const maxPages = 10000

// listAll GETs base?query, then follows "next" until a page comes without
// one. Only the next link's query is used: Magnum builds the link from its
// own idea of its host, which behind a proxy is often unreachable.
// gophercloud's List pagers follow that link as it stands and fetch each
// page outside this package's retry layer, so listing stays here.
func listAll[T any](ctx context.Context, c *Client, path []string, key string, opts ListOpts) ([]T, error) {
	first, err := gophercloud.BuildQueryString(opts)
	if err != nil {
		return nil, err
	}
	q := first.Query()
	base := c.url(path...)
	var all []T
	seen := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		u := base
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		var doc map[string]json.RawMessage
		if err := c.call(ctx, request{method: http.MethodGet, url: u, out: &doc, safety: read, send: getJSON(u, http.StatusOK)}); err != nil {
			return nil, err
		}
		var items []T
		if raw, ok := doc[key]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("Magnum API: GET %s: cannot decode %q: %w", u, key, err)
			}
		}
		all = append(all, items...)
		var next string
		if raw, ok := doc["next"]; ok {
			_ = json.Unmarshal(raw, &next)
		}
		if next == "" || len(items) == 0 {
			return all, nil
		}
		nu, err := url.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("Magnum API: GET %s: unusable next link %q: %w", u, next, err)
		}
		q = nu.Query()
		if seen[q.Encode()] {
			return nil, fmt.Errorf("Magnum API: GET %s: the next link repeats an earlier page (%s)", u, next)
		}
		seen[q.Encode()] = true
	}
	return nil, fmt.Errorf("Magnum API: listing %s did not end after %d pages", base, maxPages)
}
