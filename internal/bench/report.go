package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Row is one measured Terraform command, over several runs.
type Row struct {
	Name string `json:"name"`
	// Setup says what the simulator did (latency, durations, lag).
	Setup string          `json:"setup"`
	Walls []time.Duration `json:"walls_ns"`
	// Requests is the median count per run for each endpoint.
	Requests map[string]int `json:"requests"`
	// Tokens is the median number of Keystone tokens issued per run.
	Tokens int `json:"keystone_tokens"`
	// Procs is how many provider processes Terraform started per run.
	Procs int `json:"provider_processes"`
	// PeakRSSKiB is the largest provider peak RSS seen over the runs.
	PeakRSSKiB int64 `json:"peak_rss_kib"`
	// Bays is how many bays the command handled, for per-bay figures.
	Bays int `json:"bays"`
}

// Median and spread of the row's wall times.
func (r Row) Median() time.Duration { return medianDuration(r.Walls) }

func (r Row) Spread() (lo, hi time.Duration) {
	if len(r.Walls) == 0 {
		return 0, 0
	}
	return slices.Min(r.Walls), slices.Max(r.Walls)
}

// TotalRequests is the median run's request count.
func (r Row) TotalRequests() int {
	n := 0
	for _, v := range r.Requests {
		n += v
	}
	return n
}

// Check is one target and whether it is met.
type Check struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
	// Info marks a figure reported without a pass/fail target.
	Info bool `json:"info,omitempty"`
}

func (c Check) String() string {
	verdict := "NOT MET"
	switch {
	case c.Info:
		verdict = "INFO"
	case c.Met:
		verdict = "MET"
	}
	return fmt.Sprintf("%-8s %s: %s", verdict, c.Target, c.Got)
}

// Results is everything one bench run produced; it is written as JSON.
type Results struct {
	Date     string                  `json:"date"`
	Host     string                  `json:"host"`
	Rows     []Row                   `json:"rows"`
	Overhead []OverheadRun           `json:"overhead_runs"`
	Sweep    map[string][]SweepPoint `json:"sweep"`
	Checks   []Check                 `json:"checks"`
	Elapsed  time.Duration           `json:"elapsed_ns"`
	// LoadBefore and LoadAfter are the 1-minute load averages.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// OverheadRun is scenario 1's arithmetic for one run.
type OverheadRun struct {
	Apply, Baseline time.Duration
	// MagnumT and HeatT are how long after the POST Magnum first reported
	// CREATE_COMPLETE and Heat finished the stack.
	MagnumT, HeatT time.Duration
	// Overhead = Apply - Baseline - MagnumT; VsHeat = Apply - Baseline - HeatT.
	Overhead, VsHeat time.Duration
	// Span is the provider's own time in the create (request log) - MagnumT.
	Span time.Duration
	// Notice is when the provider's GET first saw the status, after
	// Magnum first reported it (from the simulator's request log).
	Notice time.Duration
	// MinGap is the shortest time between two GETs of the bay.
	MinGap time.Duration
	// BeforePost is from the start of the provider's lookups before the
	// POST (its name check, and any baymodel read) to the
	// arrival of its POST; AfterNotice from the answer to the GET that saw
	// CREATE_COMPLETE to the answer to the create's last request (signing
	// the client certificate). Both come from the simulator's request log.
	BeforePost, AfterNotice time.Duration
}

// WriteTable prints the measured rows as one Markdown table.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| Scenario | Runs | Wall median | Spread (min–max) | Requests per run by endpoint | Keystone tokens | Provider processes | Peak RSS |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		lo, hi := r.Spread()
		fmt.Fprintf(w, "| %s | %d | %s | %s–%s | %s | %d | %d | %s |\n", r.Name, len(r.Walls), secs(r.Median()), secs(lo), secs(hi),
			endpoints(r.Requests), r.Tokens, r.Procs, mib(r.PeakRSSKiB))
	}
}

// WriteSweep prints the synthetic sweep for selected durations.
func WriteSweep(w io.Writer, results map[string][]SweepPoint, order []Strategy, show []time.Duration) {
	fmt.Fprint(w, "| T |")
	for _, st := range order {
		fmt.Fprintf(w, " %s: overhead median (max) | requests median (max) |", st.Name)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range order {
		fmt.Fprint(w, "---|---|")
	}
	fmt.Fprintln(w)
	for _, T := range show {
		fmt.Fprintf(w, "| %s |", shortDur(T))
		for _, st := range order {
			p, ok := pointAt(results[st.Name], T)
			if !ok {
				fmt.Fprint(w, " – | – |")
				continue
			}
			fmt.Fprintf(w, " %s (%s) | %d (%d) |", secs(p.MedianOverhead), secs(p.MaxOverhead), p.MedianRequests, p.MaxRequests)
		}
		fmt.Fprintln(w)
	}
}

func pointAt(pts []SweepPoint, T time.Duration) (SweepPoint, bool) {
	for _, p := range pts {
		if p.T == T {
			return p, true
		}
	}
	return SweepPoint{}, false
}

// endpoints lists request counts, largest first.
func endpoints(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(kib int64) string {
	if kib == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

func shortDur(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return fmt.Sprintf("%ds", d/time.Second)
	}
}
