package heat

import (
	"fmt"
	"strings"
)

// FormatFailedResources renders failed resources for an error message, one
// line per root cause (a failed resource with no failed child listed),
// prefixed by its ancestors:
//
//	kube_masters > 0 > kube-master (OS::Nova::Server): CREATE_FAILED: ResourceInError: …
//
// Ancestors are omitted from their own lines because their reasons only
// repeat their children's. Returns "" for no resources.
func FormatFailedResources(rs []Resource) string {
	if len(rs) == 0 {
		return ""
	}
	parent := make([]int, len(rs))
	hasChild := make([]bool, len(rs))
	for i := range rs {
		parent[i] = findParent(rs, i)
		if parent[i] >= 0 {
			hasChild[parent[i]] = true
		}
	}
	var lines []string
	for i, r := range rs {
		if hasChild[i] {
			continue
		}
		var path []string
		// Bounded walk: a malformed listing must not loop.
		for p, n := parent[i], 0; p >= 0 && n < len(rs); p, n = parent[p], n+1 {
			path = append([]string{rs[p].Name}, path...)
		}
		path = append(path, fmt.Sprintf("%s (%s)", r.Name, r.Type))
		line := strings.Join(path, " > ") + ": " + r.Status
		if reason := strings.TrimSpace(r.StatusReason); reason != "" {
			line += ": " + reason
		}
		lines = append(lines, "  "+line)
	}
	if len(lines) == 0 {
		// Only a cyclic, malformed listing gets here; show it flat.
		for _, r := range rs {
			lines = append(lines, fmt.Sprintf("  %s (%s): %s: %s", r.Name, r.Type, r.Status, r.StatusReason))
		}
	}
	return strings.Join(lines, "\n")
}

// findParent locates the resource owning rs[i]'s stack: by the links Heat
// sends (parent's "nested" stack = child's "stack"), else by the
// parent_resource name.
func findParent(rs []Resource, i int) int {
	child := rs[i]
	if child.ParentResource == "" {
		return -1
	}
	if st := child.stackOf(); st != "" {
		for j, r := range rs {
			if j != i && r.Name == child.ParentResource && r.nestedStack() == st {
				return j
			}
		}
	}
	for j, r := range rs {
		if j != i && r.Name == child.ParentResource {
			return j
		}
	}
	return -1
}

// Leaves returns the resources of a listing that own no listed resources:
// the ones whose own work is a stack's progress. A resource that owns a
// nested stack (a group, a member template) completes together with the
// last resource inside it, so counting owners too would show several
// parts left until the very end and hide how close the stack is to done.
func Leaves(rs []Resource) []Resource {
	owners := make(map[int]bool)
	for i := range rs {
		if p := findParent(rs, i); p >= 0 {
			owners[p] = true
		}
	}
	out := make([]Resource, 0, len(rs)-len(owners))
	for i, r := range rs {
		if !owners[i] {
			out = append(out, r)
		}
	}
	return out
}
