package magnum

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkFirstRead is a new client's first GetCluster against a server
// that takes 10 ms per request (a cloud's round trip), as every Terraform
// command's provider process makes it: read at once and negotiate from
// the answer, against negotiating first (the versions document, then the
// read). ns/op shows the round trip saved, requests/op what it costs.
func BenchmarkFirstRead(b *testing.B) {
	const latency = 10 * time.Millisecond
	versions := []byte(`{"versions": [{"id": "v1", "status": "CURRENT", "min_version": "1.1", "max_version": "1.10"}]}`)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		time.Sleep(latency)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			_, _ = w.Write(versions)
			return
		}
		w.Header().Set("OpenStack-API-Minimum-Version", "container-infra 1.1")
		w.Header().Set("OpenStack-API-Maximum-Version", "container-infra 1.10")
		w.Header().Set("OpenStack-API-Version", "container-infra 1.10")
		_, _ = w.Write([]byte(clusterBody))
	}))
	defer srv.Close()
	pc := &gophercloud.ProviderClient{}
	pc.SetToken(testToken)
	for _, bm := range []struct {
		name           string
		negotiateFirst bool
	}{{"read first", false}, {"negotiate, then read", true}} {
		b.Run(bm.name, func(b *testing.B) {
			requests.Store(0)
			for range b.N {
				c, err := NewClient(context.Background(), Config{ProviderClient: pc, Endpoint: srv.URL + "/v1"})
				if err != nil {
					b.Fatal(err)
				}
				if bm.negotiateFirst {
					if _, err := c.Microversion(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := c.GetCluster(context.Background(), "c1"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
		})
	}
}
