package capi

import (
	"slices"
	"strings"
)

// cond is a Cluster API v1beta1 condition: False ones carry a severity.
type cond struct {
	typ, status, severity, reason, message string
}

func condTrue(typ string) cond { return cond{typ: typ, status: "True"} }

func condFalse(typ, reason, severity, message string) cond {
	return cond{typ: typ, status: "False", severity: severity, reason: reason, message: message}
}

// setConds writes conds into o's status.conditions, in Cluster API's order
// (Ready first, then by type), keeping the lastTransitionTime of a
// condition whose status did not change and any condition not in conds.
func setConds(o obj, conds ...cond) {
	old := map[string]map[string]any{}
	var order []string
	for _, c := range o.list("status", "conditions") {
		if m, ok := asMap(c); ok {
			t, _ := m["type"].(string)
			old[t] = m
			order = append(order, t)
		}
	}
	for _, c := range conds {
		m := map[string]any{"type": c.typ, "status": c.status, "lastTransitionTime": nowRFC3339()}
		if prev, ok := old[c.typ]; ok && prev["status"] == c.status {
			m["lastTransitionTime"] = prev["lastTransitionTime"]
		}
		if c.severity != "" {
			m["severity"] = c.severity
		}
		if c.reason != "" {
			m["reason"] = c.reason
		}
		if c.message != "" {
			m["message"] = c.message
		}
		if _, ok := old[c.typ]; !ok {
			order = append(order, c.typ)
		}
		old[c.typ] = m
	}
	slices.SortStableFunc(order, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "Ready":
			return -1
		case b == "Ready":
			return 1
		}
		return strings.Compare(a, b)
	})
	out := make([]any, 0, len(order))
	for _, t := range order {
		out = append(out, old[t])
	}
	o.set(out, "status", "conditions")
}

func getCond(o obj, typ string) map[string]any {
	for _, c := range o.list("status", "conditions") {
		if m, ok := asMap(c); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

func isTrue(o obj, typ string) bool {
	c := getCond(o, typ)
	return c != nil && c["status"] == "True"
}

// mirror is v1beta1conditions.SetMirror: the source's Ready condition
// under another type, or the fallback when the source has none.
func mirror(src obj, typ string, fallback cond) cond {
	if src != nil {
		if c := getCond(src, "Ready"); c != nil {
			s, _ := c["status"].(string)
			out := cond{typ: typ, status: s}
			if s != "True" {
				out.severity, _ = c["severity"].(string)
				out.reason, _ = c["reason"].(string)
				out.message, _ = c["message"].(string)
			}
			return out
		}
	}
	fallback.typ = typ
	return fallback
}

// summary is v1beta1conditions.SetSummary: Ready is True when every one of
// types is, else the first False one with the highest severity lends its
// reason and message.
func summary(conds []cond, types ...string) cond {
	rank := map[string]int{"Error": 3, "Warning": 2, "Info": 1, "": 0}
	var worst *cond
	for _, t := range types {
		for i := range conds {
			c := &conds[i]
			if c.typ != t || c.status == "True" {
				continue
			}
			if worst == nil || rank[c.severity] > rank[worst.severity] {
				worst = c
			}
		}
	}
	if worst == nil {
		return condTrue("Ready")
	}
	return cond{typ: "Ready", status: worst.status, severity: worst.severity, reason: worst.reason, message: worst.message}
}
