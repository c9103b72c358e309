package bench

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// The real-Magnum benchmark's figures: every Terraform command it timed
// (a RealRun), folded per operation and provider into the table,
// and judged against the targets.

// Providers compared on real Magnum.
const (
	Ours = "ours"
	Peer = "peer"
)

// Real operations, in table order. Plans are named PlanOp(n).
const (
	OpCreate  = "create"
	OpResize  = "resize"
	OpUpgrade = "upgrade"
	OpDestroy = "destroy"
)

// PlanOp names the plan of n unchanged bays.
func PlanOp(n int) string {
	if n == 1 {
		return "plan, 1 bay"
	}
	return fmt.Sprintf("plan, %d bays", n)
}

// RealConductorPeriod is how often Magnum's conductor syncs a cluster with
// its stack: the unit of the create request budget.
const RealConductorPeriod = 10 * time.Second

// RealOverheadBound is the median overhead allowed for create, resize and
// destroy: terraform's end minus Magnum's first report of the final state.
const RealOverheadBound = time.Second

// RealRun is one Terraform command of the real benchmark.
type RealRun struct {
	Provider string `json:"provider"`
	Op       string `json:"op"`
	Round    int    `json:"round"`
	Bays     int    `json:"bays"`
	// Wall is the command's run time; End when it returned.
	Wall time.Duration `json:"wall_ns"`
	End  time.Time     `json:"end"`
	// Reported is when the poller first saw Magnum report the final
	// state (zero for plans); Overhead = End - Reported.
	Reported time.Time     `json:"reported,omitzero"`
	Overhead time.Duration `json:"overhead_ns,omitempty"`
	// Notice is how long after Magnum's report the provider's first GET
	// of the bay through the proxy came (the one that saw the final
	// state); Tail = End - that GET: what the command did after noticing.
	Notice time.Duration `json:"notice_ns,omitempty"`
	Tail   time.Duration `json:"tail_ns,omitempty"`
	// MagnumTime is how long Magnum took, from the poller's first sight of
	// the operation in progress to its first report of the final state.
	MagnumTime time.Duration `json:"magnum_ns,omitempty"`
	// Requests counts the command's requests through the proxy by route.
	Requests map[string]int `json:"requests"`
	// Changed is how many of a plan's bays Magnum changed (updated_at)
	// between the last apply and the plan's end: only those may have
	// their CA read.
	Changed int `json:"changed,omitempty"`
	// Skipped holds why the operation was not run (the cloud's answer).
	Skipped string `json:"skipped,omitempty"`
}

// keystoneRoute tells Keystone's routes from Magnum's in the proxy's
// counters ("POST /identity/v3/auth/tokens", "GET /v1/clusters/{id}").
func keystoneRoute(route string) bool {
	_, path, _ := strings.Cut(route, " ")
	return path == "/identity" || strings.HasPrefix(path, "/identity/")
}

// Keystone and Magnum count the run's requests per service.
func (r RealRun) Keystone() int { return countRoutes(r.Requests, keystoneRoute) }

func (r RealRun) Magnum() int {
	return countRoutes(r.Requests, func(k string) bool { return !keystoneRoute(k) })
}

// PerBay counts the requests that scale with the bays: clusters, bays,
// their nodegroups and certificates (the token, discovery and the
// baymodel read are once per run).
func (r RealRun) PerBay() int {
	return countRoutes(r.Requests, func(k string) bool {
		return !keystoneRoute(k) && (strings.Contains(k, "/v1/clusters") || strings.Contains(k, "/v1/bays") || strings.Contains(k, "/v1/certificates"))
	})
}

// CAReads counts reads of a bay's CA certificate.
func (r RealRun) CAReads() int { return r.Requests["GET /v1/certificates/{id}"] }

func countRoutes(m map[string]int, keep func(string) bool) int {
	n := 0
	for k, v := range m {
		if keep(k) {
			n += v
		}
	}
	return n
}

// RealStats folds one provider's runs of one operation.
type RealStats struct {
	Runs []RealRun
}

func (s RealStats) measured() []RealRun {
	var out []RealRun
	for _, r := range s.Runs {
		if r.Skipped == "" {
			out = append(out, r)
		}
	}
	return out
}

// Skipped is the cloud's reason when every run was skipped.
func (s RealStats) Skipped() string {
	if len(s.Runs) == 0 || len(s.measured()) > 0 {
		return ""
	}
	return s.Runs[0].Skipped
}

func (s RealStats) durations(f func(RealRun) time.Duration) []time.Duration {
	var out []time.Duration
	for _, r := range s.measured() {
		out = append(out, f(r))
	}
	return out
}

func (s RealStats) ints(f func(RealRun) int) []int {
	var out []int
	for _, r := range s.measured() {
		out = append(out, f(r))
	}
	return out
}

func (s RealStats) Walls() []time.Duration {
	return s.durations(func(r RealRun) time.Duration { return r.Wall })
}

func (s RealStats) Overheads() []time.Duration {
	return s.durations(func(r RealRun) time.Duration { return r.Overhead })
}

// RealRow is one line of the table: an operation, both providers.
type RealRow struct {
	Op     string
	Bays   int
	Timed  bool // the operation has a Magnum state to measure overhead against
	Judged bool // the overhead target applies
	Ours   RealStats
	Peer   RealStats
}

// FoldRealRuns groups the runs into rows, in the order ops names them.
func FoldRealRuns(runs []RealRun, ops []string) []RealRow {
	var rows []RealRow
	for _, op := range ops {
		row := RealRow{Op: op, Timed: !strings.HasPrefix(op, "plan"), Judged: op == OpCreate || op == OpResize || op == OpDestroy}
		for _, r := range runs {
			if r.Op != op {
				continue
			}
			row.Bays = r.Bays
			switch r.Provider {
			case Ours:
				row.Ours.Runs = append(row.Ours.Runs, r)
			case Peer:
				row.Peer.Runs = append(row.Peer.Runs, r)
			}
		}
		if len(row.Ours.Runs)+len(row.Peer.Runs) > 0 {
			rows = append(rows, row)
		}
	}
	return rows
}

// WriteRealTable prints the table: per operation and provider,
// wall and overhead (median, max over the rounds) and Keystone+Magnum
// requests (the range over the rounds).
func WriteRealTable(w io.Writer, rows []RealRow) {
	fmt.Fprintln(w, "| operation | ours: wall / overhead / Keystone+Magnum requests | peer: wall / overhead / Keystone+Magnum requests |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.Op, realCell(r.Ours, r.Timed), realCell(r.Peer, r.Timed))
	}
}

func realCell(s RealStats, timed bool) string {
	if why := s.Skipped(); why != "" {
		return "skipped: " + why
	}
	if len(s.measured()) == 0 {
		return "–"
	}
	parts := []string{medMax(s.Walls())}
	if timed {
		parts = append(parts, medMax(s.Overheads()))
	}
	parts = append(parts, intRange(s.ints(RealRun.Keystone))+"+"+intRange(s.ints(RealRun.Magnum)))
	return strings.Join(parts, " / ")
}

// WriteRealEndpoints prints each operation's median requests per route.
func WriteRealEndpoints(w io.Writer, rows []RealRow) {
	fmt.Fprintln(w, "| operation | ours: requests per run by route (median) | peer |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.Op, routesCell(r.Ours), routesCell(r.Peer))
	}
}

func routesCell(s RealStats) string {
	m := s.measured()
	if len(m) == 0 {
		return "–"
	}
	var per []map[string]int
	for _, r := range m {
		per = append(per, r.Requests)
	}
	return endpoints(medianCounts(per))
}

// medMax is "median (max)" of durations.
func medMax(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s (max %.2f s)", medianDuration(ds).Seconds(), slices.Max(ds).Seconds())
}

// intRange is "n" when every round agreed, "lo…hi" otherwise.
func intRange(v []int) string {
	if len(v) == 0 {
		return "–"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d…%d", lo, hi)
}

// RealChecks judges the targets of issue 16 on real Magnum.
func RealChecks(rows []RealRow) []Check {
	var out []Check
	for _, r := range rows {
		switch {
		case r.Timed:
			out = append(out, overheadCheck(r))
			if r.Op == OpCreate {
				out = append(out, createBudgetCheck(r))
			}
		default:
			out = append(out, planChecks(r)...)
		}
	}
	return out
}

func overheadCheck(r RealRow) Check {
	c := Check{Target: fmt.Sprintf("%s: overhead (terraform's end − Magnum's first report) ≤ %s median", r.Op, secs(RealOverheadBound)), Info: !r.Judged}
	if !r.Judged {
		c.Target = r.Op + ": overhead (no target)"
	}
	if why := r.Ours.Skipped(); why != "" {
		c.Got, c.Info = "skipped: "+why, true
		return c
	}
	ov := r.Ours.Overheads()
	if len(ov) == 0 {
		c.Got = "no run measured"
		return c
	}
	med := medianDuration(ov)
	c.Got = fmt.Sprintf("median %s, max %s over %d runs (%s); of it, the GET that saw it came %s median after Magnum's report, and the command ended %s median after that GET; peer median %s",
		secs(med), secs(slices.Max(ov)), len(ov), durList(ov),
		medOrDash(r.Ours.durations(func(x RealRun) time.Duration { return x.Notice })),
		medOrDash(r.Ours.durations(func(x RealRun) time.Duration { return x.Tail })), medOrDash(r.Peer.Overheads()))
	c.Met = med <= RealOverheadBound
	return c
}

// createBudgetCheck: Magnum requests per create no more than the peer's
// plus one per conductor period of the create's duration on Magnum.
func createBudgetCheck(r RealRow) Check {
	c := Check{Target: fmt.Sprintf("create: Magnum requests ≤ peer's + one per conductor period (%s) of the create", RealConductorPeriod)}
	ours, peer := r.Ours.ints(RealRun.Magnum), r.Peer.ints(RealRun.Magnum)
	mt := r.Ours.durations(func(x RealRun) time.Duration { return x.MagnumTime })
	if len(ours) == 0 || len(peer) == 0 || len(mt) == 0 {
		c.Got = fmt.Sprintf("missing runs: %d of ours, %d of the peer's", len(ours), len(peer))
		return c
	}
	periods := int((medianDuration(mt) + RealConductorPeriod - 1) / RealConductorPeriod)
	budget := medianInt(peer) + periods
	c.Got = fmt.Sprintf("ours median %d (%s), peer median %d (%s); Magnum took %s median (%d periods): budget %d",
		medianInt(ours), intRange(ours), medianInt(peer), intRange(peer), secs(medianDuration(mt)), periods, budget)
	c.Met = medianInt(ours) <= budget
	return c
}

func planChecks(r RealRow) []Check {
	speed := Check{Target: r.Op + ": no slower than the peer (median wall)"}
	ow, pw := r.Ours.Walls(), r.Peer.Walls()
	if len(ow) == 0 || len(pw) == 0 {
		speed.Got = fmt.Sprintf("missing runs: %d of ours, %d of the peer's", len(ow), len(pw))
	} else {
		speed.Got = fmt.Sprintf("ours %s (%s), peer %s (%s)", secs(medianDuration(ow)), durList(ow), secs(medianDuration(pw)), durList(pw))
		speed.Met = medianDuration(ow) <= medianDuration(pw)
	}
	perBay := Check{Target: r.Op + ": ≤ 2 Magnum requests per bay (clusters, nodegroups, certificates)"}
	ca := Check{Target: r.Op + ": no CA read unless the bay changed"}
	runs := r.Ours.measured()
	if len(runs) == 0 || r.Bays == 0 {
		perBay.Got, ca.Got = "no run measured", "no run measured"
		return []Check{speed, perBay, ca}
	}
	worst, reads, changed := 0, 0, 0
	caOK := true
	for _, x := range runs {
		worst = max(worst, x.PerBay())
		reads, changed = reads+x.CAReads(), changed+x.Changed
		caOK = caOK && x.CAReads() <= x.Changed
	}
	perBay.Got = fmt.Sprintf("at most %d per-bay requests for %d bays (%.2f per bay); all Magnum requests %s per run",
		worst, r.Bays, float64(worst)/float64(r.Bays), intRange(r.Ours.ints(RealRun.Magnum)))
	perBay.Met = worst <= 2*r.Bays
	ca.Got = fmt.Sprintf("%d CA reads over %d runs; %d bays changed by Magnum during them", reads, len(runs), changed)
	ca.Met = caOK
	return []Check{speed, perBay, ca}
}

func medOrDash(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	return secs(medianDuration(ds))
}

// noticeAndTail splits an overhead: the first GET of the bay at or after
// Magnum's report (its start at the proxy), and what followed it.
func noticeAndTail(reqs []sim.Request, uuid string, reported, end time.Time) (notice, tail time.Duration, ok bool) {
	for _, r := range reqs {
		if r.Method != http.MethodGet || r.Route != "GET /v1/clusters/{id}" || !strings.Contains(r.Path, uuid) || r.Time.Before(reported) {
			continue
		}
		return r.Time.Sub(reported), end.Sub(r.Time), true
	}
	return 0, 0, false
}
