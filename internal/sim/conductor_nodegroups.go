package sim

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
)

// The conductor's work on extra (non-default) nodegroups: each has a
// stack of its own, which create, update (resize, upgrade) and delete
// drive, and sync advances beside the cluster's own operation.

// ngOp is the conductor's work on one extra nodegroup.
type ngOp struct {
	action   string // actionCreate, actionUpdate or actionDelete
	at       time.Time
	picked   bool
	duration time.Duration
	// heat reports whether a Heat stack operation backs this op.
	heat bool
	// onDone runs when the operation completes successfully.
	onDone func()
}

// startNodegroupOp starts a stack operation for an extra nodegroup. params
// are the stack parameters an update changes. Callers hold st.mu.
func (cd *conductor) startNodegroupOp(c *clusterRow, ng *nodegroup, action string, params map[string]string) {
	now := cd.now()
	op := &ngOp{action: action, at: now}
	switch action {
	case actionCreate:
		op.duration = cd.heatCreateDuration()
	case actionUpdate:
		op.duration = cd.heatUpdateDuration()
	default:
		op.duration = cd.heatDeleteDuration()
	}
	if c.driver == driverHeat && cd.heat != nil {
		var err error
		switch action {
		case actionCreate:
			st := cd.heat.CreateStack(c.projectID, heat.StackSpec{
				Name: heat.StackName(c.name + "-" + ng.name), COE: c.coe, TimeoutMins: int(c.createTimeout),
				Parameters: map[string]string{
					"number_of_minions": strconv.FormatInt(ng.nodeCount, 10),
					"minion_flavor":     pyStr(ng.flavorID),
				},
				Duration: op.duration,
			})
			ng.heatStackID = st.ID
		case actionUpdate:
			err = cd.heat.UpdateStack(ng.heatStackID, params, op.duration)
		default:
			err = cd.heat.DeleteStack(ng.heatStackID, op.duration)
		}
		op.heat = err == nil && ng.heatStackID != ""
		// A fault armed for the nodegroup's stack name fails this
		// operation, as one armed for a cluster's name fails the cluster's.
		if op.heat {
			if f, ok := cd.faults.take(c.projectID, c.name+"-"+ng.name, action); ok {
				cd.armStack(c, ng.heatStackID, &f)
			}
		}
	}
	if action != actionDelete || !cd.opts.NodegroupDeleteStuck {
		ng.status = action + "_IN_PROGRESS"
	}
	ng.op = op
}

// syncNodegroups brings the extra nodegroups' operations up to date; it
// runs after the cluster's own operation has been synced. Callers hold
// st.mu.
func (cd *conductor) syncNodegroups(c *clusterRow, now time.Time) {
	if c.deleted {
		return
	}
	for _, ng := range append([]*nodegroup(nil), c.nodegroups...) {
		if ng.op != nil {
			cd.advanceNodegroup(c, ng, now)
		}
	}
}

func (cd *conductor) advanceNodegroup(c *clusterRow, ng *nodegroup, now time.Time) {
	op := ng.op
	if !op.picked {
		at, ok := cd.picks(op.at, now)
		if !ok {
			return
		}
		op.picked = true
		if c.op == nil {
			if c.ownStatus == "" {
				c.ownStatus = c.status
			}
			c.status, c.statusReason, c.updatedAt = "UPDATE_IN_PROGRESS", nil, timePtr(at)
		}
		if op.action == actionCreate {
			if op.heat {
				ng.stackID = ng.heatStackID
			} else {
				ng.stackID = c.stackID
			}
		}
	}
	status, reason := op.action+"_COMPLETE", any(nil)
	if op.heat {
		st, err := cd.heat.Stack(ng.heatStackID)
		switch {
		case err != nil && op.action == actionDelete:
		case err != nil:
			status, reason = op.action+"_FAILED", fmt.Sprintf("Stack with id %s not found in Heat.", ng.heatStackID)
		default:
			if strings.HasSuffix(st.Status, "_IN_PROGRESS") {
				return
			}
			status, reason = st.Status, st.StatusReason
		}
	}
	end := op.at.Add(op.duration)
	if end.After(now) {
		if !op.heat {
			return
		}
		end = now
	}
	done := cd.pollAfter(&clusterOp{at: op.at}, end)
	if now.Before(done) {
		return
	}
	ng.op = nil
	ng.updatedAt = timePtr(done)
	switch {
	case strings.HasSuffix(status, "_FAILED"):
		ng.status, ng.statusReason = op.action+"_FAILED", reason
	case op.action == actionDelete:
		if cd.opts.NodegroupDeleteStuck {
			// Zed never saves DELETE_IN_PROGRESS, so the poller never
			// destroys the row (FINDINGS #351-#355).
			break
		}
		for i, g := range c.nodegroups {
			if g == ng {
				c.nodegroups = append(c.nodegroups[:i], c.nodegroups[i+1:]...)
				break
			}
		}
	default:
		ng.status, ng.statusReason = status, reason
		if op.heat {
			ng.nodeAddresses = cd.stackWorkerAddresses(c, ng.heatStackID)
		}
		if op.onDone != nil {
			op.onDone()
		}
	}
	cd.refreshKubeNodes(c)
	if c.op == nil {
		c.status, c.statusReason = aggregateNodegroups(c)
	}
	c.updatedAt = timePtr(done)
}

// aggregateNodegroups is Magnum's aggregate_nodegroup_statuses for a
// cluster with extra nodegroups when one of their operations ends: any
// nodegroup in progress keeps the cluster UPDATE_IN_PROGRESS, else any
// failed one makes it UPDATE_FAILED, its status_reason naming them, else
// UPDATE_COMPLETE. The default nodegroups count with their own stack's
// status, not the aggregate.
func aggregateNodegroups(c *clusterRow) (string, any) {
	var failed []string
	busy := false
	for _, ng := range c.nodegroups {
		switch st := ngStatus(c, ng); {
		case strings.HasSuffix(st, "_IN_PROGRESS"):
			busy = true
		case strings.HasSuffix(st, "_FAILED"):
			failed = append(failed, ng.name+" failed")
		}
	}
	switch {
	case busy:
		return "UPDATE_IN_PROGRESS", nil
	case len(failed) > 0:
		return "UPDATE_FAILED", strings.Join(failed, ", ")
	}
	return "UPDATE_COMPLETE", nil
}

// resizeExtraNodegroup is cluster_resize on a nodegroup with its own stack.
func (cd *conductor) resizeExtraNodegroup(c *clusterRow, ng *nodegroup, count int64) {
	ng.nodeCount = count
	cd.startNodegroupOp(c, ng, actionUpdate, map[string]string{"number_of_minions": strconv.FormatInt(count, 10)})
}

// upgradeExtraNodegroup is cluster_upgrade with a non-default nodegroup:
// Magnum only lets it follow the cluster's own template, and only the
// nodegroup's stack and labels change.
func (cd *conductor) upgradeExtraNodegroup(c *clusterRow, t *template, ng *nodegroup) *apiError {
	if t.uuid != c.templateUUID {
		return errf(http.StatusConflict, "Cluster Template is not valid for upgrade: Nodegroup %s can be upgraded only to match cluster's template (%s).",
			ng.name, c.templateUUID)
	}
	if ng.op != nil {
		return errf(http.StatusBadRequest, "Upgrading a nodegroup when status is \"%s\" is not supported.", ng.status)
	}
	tl, _ := t.v["labels"].(*pyDict)
	tag, hasTag := tl.getStr("kube_tag")
	params := map[string]string{}
	if hasTag {
		params["kube_tag"] = tag
		if ng.labels == nil {
			ng.labels = newPyDict()
		}
		ng.labels.Set("kube_tag", tag)
	}
	ng.imageID = t.v["image_id"]
	cd.startNodegroupOp(c, ng, actionUpdate, params)
	return nil
}

// deleteNodegroupStacks is the Heat driver's delete_cluster removing the
// extra nodegroups' stacks along with the cluster's own.
func (cd *conductor) deleteNodegroupStacks(c *clusterRow, d time.Duration) {
	if cd.heat == nil {
		return
	}
	for _, ng := range c.nodegroups {
		if ng.heatStackID != "" {
			if err := cd.heat.DeleteStack(ng.heatStackID, d); err != nil && !errors.Is(err, heat.ErrNotFound) {
				cd.logf("cluster %s (%s): deleting nodegroup %s's stack %s: %v", c.name, c.uuid, ng.name, ng.heatStackID, err)
			}
		}
		ng.op = nil
	}
}
