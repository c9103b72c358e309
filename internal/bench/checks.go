package bench

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// checks judges every target.
func checks(res *Results, cfg Config) []Check {
	var out []Check
	byName := map[string]Row{}
	for _, r := range res.Rows {
		byName[r.Name[:strings.IndexByte(r.Name, '.')]] = r
	}
	// Scenario 1.
	if len(res.Overhead) > 0 {
		var vh []time.Duration
		gap := time.Duration(0)
		for _, r := range res.Overhead {
			vh = append(vh, r.VsHeat)
			if gap == 0 || r.MinGap < gap {
				gap = r.MinGap
			}
		}
		out = append(out, OneBayCheck(res.Overhead, cfg.BayT))
		out = append(out, Check{Target: "measured overhead against Heat's completion (includes Magnum's conductor lag)", Info: true,
			Got: fmt.Sprintf("median %s: Magnum copies the stack's status at its next sync (every %s) and flips %s after it", secs(medianDuration(vh)), ConductorInterval, ConductorInterval/5)})
		out = append(out, Check{Target: "measured: never more than 1 request/s per bay",
			Got: fmt.Sprintf("shortest gap between two GETs of the bay: %s (arrival times at the simulator)", secs(gap)), Met: gap >= waiter.MinInterval})
	}
	for _, st := range []Strategy{ProviderSchedule, ProviderHeat} {
		out = append(out, SweepChecks(st, res.Sweep[st.Name])...)
	}
	out = append(out, HeatNoticeCheck(ProviderHeat, res.Sweep[ProviderHeat.Name]))
	for _, st := range PhasedStrategies {
		out = append(out, PhaseChecks(st, res.Sweep[st.Name])...)
	}
	for _, st := range ThreeConductors {
		out = append(out, ConductorsInfo(st, res.Sweep[st.Name])...)
	}
	for _, st := range LateSyncs {
		out = append(out, LateSyncInfo(st, res.Sweep[st.Name])...)
	}
	out = append(out, ScheduleFalls(ProviderSchedule.Schedule), RetryAfterCheck())
	out = append(out, heatSavings(res.Sweep)...)
	// Refresh.
	if r, ok := byName["3"]; ok {
		out = append(out, perBayCheck("refresh of 200 bays", r))
		out = append(out, Check{Target: "refresh: one Keystone token per provider process",
			Got: fmt.Sprintf("%d token(s) per plan, %d provider process(es) started by Terraform", r.Tokens, r.Procs), Met: r.Tokens <= max(r.Procs, 1) && r.Tokens <= 1})
	}
	if r, ok := byName["2b"]; ok {
		out = append(out, perBayCheck("plan of 50 unchanged bays", r))
	}
	for i, n := range PlanSizes {
		if r, ok := byName[fmt.Sprintf("5%c", 'a'+i)]; ok {
			what := fmt.Sprintf("plan of %d unchanged bay(s)", n)
			out = append(out, perBayCheck(what, r), noDiscoveryCheck(what, r))
		}
	}
	for _, r := range res.Rows {
		if strings.HasPrefix(r.Name, "4. terraform validate") {
			out = append(out, Check{Target: "start-up: terraform validate < 0.5 s at the median",
				Got: fmt.Sprintf("median %s, first three runs %s; peak RSS %s", secs(r.Median()), durList(r.Walls[:min(3, len(r.Walls))]), mib(r.PeakRSSKiB)),
				Met: r.Median() < 500*time.Millisecond})
		}
	}
	return out
}

// OneBayCheck judges scenario 1: the median over runs of apply − T, where
// T is when Magnum first reported that run's bay complete (it differs from
// run to run with the conductor's phase), minus the median baseline,
// against OverheadBound of the longest T.
func OneBayCheck(runs []OverheadRun, bayT time.Duration) Check {
	var lessT, bases, spans, before, notice, after, ov []time.Duration
	var loT, hiT time.Duration
	for i, r := range runs {
		lessT, bases, spans = append(lessT, r.Apply-r.MagnumT), append(bases, r.Baseline), append(spans, r.Span)
		before, notice, after = append(before, r.BeforePost), append(notice, r.Notice), append(after, r.AfterNotice)
		ov = append(ov, r.Overhead)
		if i == 0 || r.MagnumT < loT {
			loT = r.MagnumT
		}
		hiT = max(hiT, r.MagnumT)
	}
	med := medianDuration(lessT) - medianDuration(bases)
	reported := secs(loT)
	if hiT != loT {
		reported = secs(loT) + "–" + secs(hiT)
	}
	return Check{Target: fmt.Sprintf("measured overhead, one bay, T = %s (Magnum reported after %s over %d runs): median ≤ %s",
		bayT, reported, len(runs), secs(OverheadBound(hiT))),
		Got: fmt.Sprintf("median (apply − T) − median baseline = %s (per run %s); provider's own create span − T: median %s "+
			"(before the POST %s, the GET that saw CREATE_COMPLETE %s after Magnum first reported it, then %s to the last answer)",
			secs(med), durList(ov), secs(medianDuration(spans)), secs(medianDuration(before)), secs(medianDuration(notice)), secs(medianDuration(after))),
		Met: len(runs) > 0 && med <= OverheadBound(hiT)}
}

// perBayCheck judges a plan's requests per bay: at most two, no
// certificate signed. The token and the one baymodel are per run, not
// per bay.
func perBayCheck(what string, r Row) Check {
	per := 0
	for k, v := range r.Requests {
		if strings.Contains(k, "/v1/clusters") || strings.Contains(k, "/v1/certificates") || strings.Contains(k, "/orchestration/") {
			per += v
		}
	}
	return Check{Target: what + ": ≤ 2 requests per bay (no certificate signing, no baymodel fetch per bay)",
		Got: fmt.Sprintf("%.2f per bay (%d bay requests for %d bays; %d requests in all)", float64(per)/float64(max(r.Bays, 1)), per, r.Bays, r.TotalRequests()),
		Met: r.Bays > 0 && per <= 2*r.Bays && r.Requests["POST /v1/certificates"] == 0}
}

// versionsRoute is Magnum's root versions document, as the simulator
// names it.
const versionsRoute = "GET /container-infra"

// noDiscoveryCheck: a plan reads before it changes anything, and the
// first read negotiates the microversion from its own answer, so no
// provider process spends a round trip on the versions document.
func noDiscoveryCheck(what string, r Row) Check {
	n := r.Requests[versionsRoute]
	return Check{Target: what + ": no GET of Magnum's versions document (the first read negotiates the microversion)",
		Got: fmt.Sprintf("%d per run", n), Met: r.Bays > 0 && n == 0}
}

// heatSavings reports what consulting Heat's progress saves once a wait is
// past its first minute.
func heatSavings(sweep map[string][]SweepPoint) []Check {
	var out []Check
	for _, T := range []time.Duration{90 * time.Second, 5 * time.Minute, 20 * time.Minute, time.Hour, 2 * time.Hour} {
		a, ok1 := pointAt(sweep[ProviderSchedule.Name], T)
		b, ok2 := pointAt(sweep[ProviderHeat.Name], T)
		if !ok1 || !ok2 {
			continue
		}
		out = append(out, Check{Info: true, Target: fmt.Sprintf("stretch: Heat progress at T = %s", shortDur(T)),
			Got: fmt.Sprintf("median overhead %s → %s, median requests %d → %d (%d of them Heat at most)",
				secs(a.MedianOverhead), secs(b.MedianOverhead), a.MedianRequests, b.MedianRequests, b.MaxHeatGETs)})
	}
	return out
}

func durList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.2f", d.Seconds())
	}
	return strings.Join(parts, ", ") + " s"
}

// loadAvg is the 1-minute load average, to tell a quiet machine's figures
// from a busy one's.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
