package magnum

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
)

// BenchmarkListClusters lists 500 clusters with the body real Magnum 15
// sent; allocs/op and B/op show what decoding costs per listing.
func BenchmarkListClusters(b *testing.B) {
	var one map[string]any
	if err := json.Unmarshal([]byte(clusterBody), &one); err != nil {
		b.Fatal(err)
	}
	page := make([]any, 500)
	for i := range page {
		page[i] = one
	}
	list, _ := json.Marshal(map[string]any{"clusters": page})
	versions := []byte(`{"versions": [{"id": "v1", "status": "CURRENT", "min_version": "1.1", "max_version": "1.10"}]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			_, _ = w.Write(versions)
			return
		}
		_, _ = w.Write(list)
	}))
	defer srv.Close()
	pc := &gophercloud.ProviderClient{}
	pc.SetToken(testToken)
	c, err := NewClient(context.Background(), Config{ProviderClient: pc, Endpoint: srv.URL + "/v1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, err := c.ListClusters(context.Background(), ListOpts{})
		if err != nil || len(got) != 500 {
			b.Fatalf("listed %d, %v", len(got), err)
		}
	}
}

// BenchmarkGetCluster reads one cluster, the call a wait repeats.
func BenchmarkGetCluster(b *testing.B) {
	versions := []byte(`{"versions": [{"id": "v1", "status": "CURRENT", "min_version": "1.1", "max_version": "1.10"}]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			_, _ = w.Write(versions)
			return
		}
		_, _ = w.Write([]byte(clusterBody))
	}))
	defer srv.Close()
	pc := &gophercloud.ProviderClient{}
	pc.SetToken(testToken)
	c, err := NewClient(context.Background(), Config{ProviderClient: pc, Endpoint: srv.URL + "/v1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.GetCluster(context.Background(), "c1"); err != nil {
			b.Fatal(err)
		}
	}
}
