package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

const recentUUID = "0b3a6c1e-1111-4222-8333-444455556666"

// fakeTemplates answers GetClusterTemplate for one baymodel, by UUID or
// by its name, and counts the calls.
type fakeTemplates struct {
	calls atomic.Int32
	fail  error
	gate  chan struct{}
}

func (f *fakeTemplates) get(ctx context.Context, idOrName string) (*magnum.ClusterTemplate, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	if f.fail != nil {
		return nil, f.fail
	}
	if idOrName != recentUUID && idOrName != "k8s" {
		return nil, errors.New("no such baymodel")
	}
	return &magnum.ClusterTemplate{UUID: recentUUID, Name: "k8s", COE: "kubernetes"}, nil
}

func TestRecentBaymodels(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		remember  bool
		age       time.Duration
		forget    bool
		reads     []string
		fail      error
		wantCalls int32
	}{
		{name: "a baymodel this process just wrote is not read again", remember: true, reads: []string{recentUUID, recentUUID}, wantCalls: 0},
		{name: "past the time bound it is read afresh", remember: true, age: recentBaymodelTTL, reads: []string{recentUUID}, wantCalls: 1},
		{name: "a deleted baymodel is read afresh", remember: true, forget: true, reads: []string{recentUUID}, wantCalls: 1},
		{name: "a read by UUID serves the next by UUID", reads: []string{recentUUID, recentUUID}, wantCalls: 1},
		{name: "a name always goes to Magnum", remember: true, reads: []string{"k8s", "k8s"}, wantCalls: 2},
		{name: "a read by name serves the next by UUID", reads: []string{"k8s", recentUUID}, wantCalls: 1},
		{name: "a failure is not kept", reads: []string{recentUUID, recentUUID}, fail: errors.New("503"), wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1_800_000_000, 0)
			m := newRecentBaymodels()
			m.now = func() time.Time { return now }
			f := &fakeTemplates{fail: tt.fail}
			if tt.remember {
				m.remember(&magnum.ClusterTemplate{UUID: recentUUID, Name: "k8s", COE: "kubernetes"})
			}
			if tt.forget {
				m.forget(recentUUID)
			}
			now = now.Add(tt.age)
			for _, id := range tt.reads {
				ct, err := m.read(ctx, id, f.get)
				if tt.fail != nil {
					if err == nil {
						t.Fatalf("read %q: no error, want %v", id, tt.fail)
					}
					continue
				}
				if err != nil || ct.UUID != recentUUID || ct.COE != "kubernetes" {
					t.Fatalf("read %q = %+v, %v; want the baymodel", id, ct, err)
				}
			}
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Errorf("Magnum read the baymodel %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}

// Bays created side by side from one baymodel share one read.
func TestRecentBaymodelsShareAReadInFlight(t *testing.T) {
	m := newRecentBaymodels()
	f := &fakeTemplates{gate: make(chan struct{})}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct, err := m.read(context.Background(), recentUUID, f.get)
			if err == nil && ct.UUID != recentUUID {
				err = errors.New("wrong baymodel " + ct.UUID)
			}
			errs <- err
		}()
	}
	// The first reader is in Magnum's read and the nine others wait on it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		fl := m.flight[recentUUID]
		parked := fl != nil && fl.waiters == 9
		m.mu.Unlock()
		if parked {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("Magnum read the baymodel %d times for 10 concurrent creates, want 1", got)
	}
}

// A reader whose context ends stops waiting for another's read.
func TestRecentBaymodelsWaitEndsWithTheContext(t *testing.T) {
	m := newRecentBaymodels()
	f := &fakeTemplates{gate: make(chan struct{})}
	defer close(f.gate)
	go func() { _, _ = m.read(context.Background(), recentUUID, f.get) }()
	deadline := time.Now().Add(10 * time.Second)
	for f.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.read(ctx, recentUUID, f.get); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestRecentBaymodelsNilSafe(t *testing.T) {
	var m *recentBaymodels
	m.remember(&magnum.ClusterTemplate{UUID: recentUUID})
	m.forget(recentUUID)
	f := &fakeTemplates{}
	if _, err := m.read(context.Background(), recentUUID, f.get); err != nil || f.calls.Load() != 1 {
		t.Fatalf("nil memo: err %v, %d calls; want one read", err, f.calls.Load())
	}
}

// TestAccBay_createsReuseTheBaymodelJustRead: bays created in the command
// that creates their baymodel do not read it again, and bays created side
// by side from an existing baymodel share one read. Each apply runs a
// saved plan, so the count is the apply's process alone.
func TestAccBay_createsReuseTheBaymodelJustRead(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "counts requests in the simulator's log")
	t.Parallel()
	s := acctest.StartSim(t, fastBays())
	cli := newTerraformCLI(t)
	head := cliHead + acctest.ProviderBlock(s, "demo")
	config := func(bays int) string {
		return head + strings.Replace(testAccBayConfig("reuse", 1, ""), `resource "magnum_bay" "test" {
  name        = "reuse"`, fmt.Sprintf(`resource "magnum_bay" "test" {
  count       = %d
  name        = "reuse-${count.index}"`, bays), 1)
	}
	templateReads := func(mark int) int {
		n := 0
		for _, r := range s.Requests()[mark:] {
			if r.Route == "GET /v1/clustertemplates/{id}" {
				n++
			}
		}
		return n
	}
	applySaved := func(bays, wantReads int, why string) {
		t.Helper()
		cli.writeConfig(config(bays))
		cli.run("plan", "-out=tfplan")
		mark := len(s.Requests())
		cli.runWithin(acctest.Bound(4*time.Minute), "apply", "tfplan")
		if got := templateReads(mark); got != wantReads {
			t.Errorf("applying %d bays read the baymodel %d times, want %d: %s", bays, got, wantReads, why)
		}
		raw, err := os.ReadFile(filepath.Join(cli.dir, "terraform.tfstate"))
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Resources []struct {
				Type      string `json:"type"`
				Instances []struct {
					Attributes struct {
						COE    string `json:"coe"`
						CACert string `json:"ca_cert"`
					} `json:"attributes"`
				} `json:"instances"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range st.Resources {
			if r.Type != "magnum_bay" {
				continue
			}
			for i, in := range r.Instances {
				n++
				if in.Attributes.COE != "kubernetes" || !strings.Contains(in.Attributes.CACert, "BEGIN CERTIFICATE") {
					t.Errorf("bay %d: coe %q, CA %d bytes; want kubernetes with its CA, as from the baymodel", i, in.Attributes.COE, len(in.Attributes.CACert))
				}
			}
		}
		if n != bays {
			t.Errorf("%d bays in the state, want %d", n, bays)
		}
	}
	applySaved(3, 0, "the baymodel was created by the same command")
	applySaved(6, 1, "the three new bays share one read of the existing baymodel")
	cli.run("destroy", "-auto-approve")
	if cs := s.Clusters(); len(cs) > 0 {
		t.Errorf("%d bays left after destroy", len(cs))
	}
}
