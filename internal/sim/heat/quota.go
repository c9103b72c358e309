package heat

import (
	"fmt"
	"time"
)

// DefaultMaxServers is each project's Nova instance quota when
// Config.MaxServers is zero: far above any test's needs, and low enough that
// a resource group of 100000 members is refused before it is built.
const DefaultMaxServers = 1000

const typeNovaServer = "OS::Nova::Server"

// serversInUse counts the servers the project's stacks hold, other than
// skip's: the quota Nova checks is about servers that exist, not about
// what a stack's parameters ask for. Callers hold e.mu.
func (e *Engine) serversInUse(project, skip string) int {
	n := 0
	for id, s := range e.stacks {
		if id == skip || s.project != project || s.deleted {
			continue
		}
		walk(s.roots, func(nd *node, _ int) {
			if nd.typ == typeNovaServer && !(nd.action == ActionDelete && nd.status == "COMPLETE") {
				n++
			}
		})
	}
	return n
}

// quotaFailure checks a stack's server count against the project's Nova
// quota before anything is built, as a ResourceGroup scaled beyond the
// quota fails on its first refused server. It returns the stack's
// status_reason, in Heat's words around Nova's message, or "" when the
// servers fit; the stack itself (skip) is not counted as in use.
func (e *Engine) quotaFailure(project, skip, coe, action string, params map[string]string) string {
	limit := e.cfg.MaxServers
	if limit <= 0 {
		limit = DefaultMaxServers
	}
	used := e.serversInUse(project, skip)
	free := limit - used
	for _, t := range shapeFor(coe, params).top {
		if t.member == nil {
			continue
		}
		want := t.count(params)
		if want <= free {
			free -= want
			continue
		}
		server := ""
		for _, l := range t.member.leaves {
			if l.typ == typeNovaServer {
				server = l.name
			}
		}
		index := max(free, 0)
		return fmt.Sprintf("Resource %s failed: Forbidden: resources.%s.resources[%d].resources.%s: "+
			"Quota exceeded for instances: Requested 1, but already used %d of %d instances (HTTP 403) (Request-ID: req-%s)",
			action, t.name, index, server, limit, limit, newUUID())
	}
	return ""
}

// serversWanted counts the servers a stack of coe with params asks for.
func serversWanted(coe string, params map[string]string) int {
	n := 0
	for _, t := range shapeFor(coe, params).top {
		if t.member != nil {
			n += t.count(params)
		}
	}
	return n
}

// refuse ends s's operation at once, failed with reason, without building
// anything: what a quota refusal looks like from Magnum's side.
func refuse(s *stack, action, reason string, now time.Time) {
	s.op = nil
	s.action, s.status, s.reason = action, "FAILED", reason
	s.updated = now
}
