package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Series is one line of a chart.
type Series struct {
	Name   string
	Color  string
	Dashed bool
	X, Y   []float64
}

// Panel is one chart: log-scaled x, linear or log-scaled y.
type Panel struct {
	Title, YLabel string
	LogY          bool
	YMax          float64 // 0: from the data
	Series        []Series
}

const (
	panelW, panelH           = 560, 340
	marginL, marginR         = 64, 16
	marginT, marginB         = 36, 48
	legendH                  = 22
	chartFont                = `font-family="sans-serif"`
	xMinSeconds, xMaxSeconds = 5.0, 7200.0
)

// PollingChart draws the sweep: median overhead and median requests per
// wait against T for each strategy, with the targets dashed.
func PollingChart(results map[string][]SweepPoint, order []Strategy) string {
	colors := []string{"#1f77b4", "#2ca02c", "#d62728", "#9467bd"}
	var over, reqs []Series
	for i, st := range order {
		pts := results[st.Name]
		// Dashed where it would hide the plain schedule it coincides with
		// for waits under HintAfter.
		o := Series{Name: st.Name, Color: colors[i%len(colors)], Dashed: st.Heat}
		r := o
		for _, p := range pts {
			x := p.T.Seconds()
			o.X, o.Y = append(o.X, x), append(o.Y, p.MedianOverhead.Seconds())
			r.X, r.Y = append(r.X, x), append(r.Y, float64(p.MedianRequests))
		}
		over, reqs = append(over, o), append(reqs, r)
	}
	var bx, by []float64
	for x := xMinSeconds; x <= xMaxSeconds*1.0001; x *= 1.05 {
		bx, by = append(bx, x), append(by, OverheadBound(time.Duration(x*float64(time.Second))).Seconds())
	}
	over = append(over, Series{Name: "target (median)", Color: "#555", Dashed: true, X: bx, Y: by})
	reqs = append(reqs, Series{Name: "targets: 75 at 10 min, 230 at 1 h", Color: "#555", Dashed: true,
		X: []float64{600, 3600}, Y: []float64{75, 230}})
	return Chart([]Panel{
		{Title: "Notice delay after Magnum reports completion (median)", YLabel: "seconds", YMax: 30, Series: over},
		{Title: "Requests per wait (median; Magnum + Heat GETs)", YLabel: "requests", LogY: true, Series: reqs},
	})
}

// Chart renders panels side by side as a standalone SVG document.
func Chart(panels []Panel) string {
	w := panelW * len(panels)
	h := panelH + legendH*maxSeries(panels)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	for i, p := range panels {
		fmt.Fprintf(&b, `<g transform="translate(%d,0)">`+"\n", i*panelW)
		drawPanel(&b, p)
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func maxSeries(panels []Panel) int {
	n := 0
	for _, p := range panels {
		n = max(n, len(p.Series))
	}
	return n
}

func drawPanel(b *strings.Builder, p Panel) {
	plotW := float64(panelW - marginL - marginR)
	plotH := float64(panelH - marginT - marginB)
	yMin, yMax := 0.0, p.YMax
	if p.LogY {
		yMin = 1
	}
	if yMax == 0 {
		for _, s := range p.Series {
			for _, y := range s.Y {
				yMax = max(yMax, y)
			}
		}
		yMax = niceCeil(yMax * 1.1)
	}
	lx := func(x float64) float64 {
		return float64(marginL) + plotW*(math.Log(x)-math.Log(xMinSeconds))/(math.Log(xMaxSeconds)-math.Log(xMinSeconds))
	}
	ly := func(y float64) float64 {
		if p.LogY {
			y = max(y, yMin)
			return float64(marginT) + plotH*(1-(math.Log(y)-math.Log(yMin))/(math.Log(yMax)-math.Log(yMin)))
		}
		y = min(max(y, yMin), yMax)
		return float64(marginT) + plotH*(1-(y-yMin)/(yMax-yMin))
	}
	fmt.Fprintf(b, `<text x="%d" y="20" font-size="14" font-weight="bold" %s>%s</text>`+"\n", marginL, chartFont, escape(p.Title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", marginL, marginT, plotW, plotH)
	// x ticks at familiar durations
	for _, t := range []struct {
		s     float64
		label string
	}{{5, "5s"}, {10, "10s"}, {30, "30s"}, {60, "1m"}, {200, "200s"}, {600, "10m"}, {1800, "30m"}, {3600, "1h"}, {7200, "2h"}} {
		x := lx(t.s)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.0f" stroke="#eee"/>`+"\n", x, marginT, x, float64(marginT)+plotH)
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle" %s>%s</text>`+"\n", x, float64(marginT)+plotH+16, chartFont, t.label)
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-size="12" text-anchor="middle" %s>T: how long Magnum takes to report completion</text>`+"\n",
		float64(marginL)+plotW/2, float64(marginT)+plotH+36, chartFont)
	for _, y := range yTicks(yMin, yMax, p.LogY) {
		py := ly(y)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eee"/>`+"\n", marginL, py, float64(marginL)+plotW, py)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" %s>%g</text>`+"\n", marginL-6, py+4, chartFont, y)
	}
	fmt.Fprintf(b, `<text x="14" y="%.0f" font-size="12" text-anchor="middle" transform="rotate(-90 14 %.0f)" %s>%s</text>`+"\n",
		float64(marginT)+plotH/2, float64(marginT)+plotH/2, chartFont, escape(p.YLabel))
	for i, s := range p.Series {
		var pts []string
		for j := range s.X {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", lx(s.X[j]), ly(s.Y[j])))
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", s.Color, dash, strings.Join(pts, " "))
		ly0 := panelH + legendH*i
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", marginL, ly0-4, marginL+24, ly0-4, s.Color, dash)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" %s>%s</text>`+"\n", marginL+30, ly0, chartFont, escape(s.Name))
	}
}

func yTicks(lo, hi float64, logScale bool) []float64 {
	var out []float64
	if logScale {
		for d := 1.0; d <= hi; d *= 10 {
			for _, m := range []float64{1, 2, 5} {
				if v := d * m; v >= lo && v <= hi {
					out = append(out, v)
				}
			}
		}
		return out
	}
	step := niceCeil((hi - lo) / 6)
	for v := lo; v <= hi+step/1000; v += step {
		out = append(out, v)
	}
	return out
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
