package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
)

// Out-of-band control: what tests do to clusters behind the provider's
// back, as another client, an autoscaler or an operator would. Each
// changes the in-process Magnum's rows directly, with the status changes
// Magnum would show; the relay does the same through a real Magnum's API
// (relay_backend.go).

// setNodeCount changes the default worker count as if someone had resized
// the cluster with another tool: the status becomes UPDATE_COMPLETE and
// updated_at moves, with no operation in between.
func (s *magnumService) setNodeCount(id string, n int) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if w := c.defaultNG("worker"); w != nil {
		w.nodeCount = int64(n)
	}
	c.op = nil
	c.status, c.statusReason, c.updatedAt = "UPDATE_COMPLETE", nil, timePtr(s.now())
	return nil
}

// setNodegroupCount changes a nodegroup's node_count as a cluster
// autoscaler would, with no operation in between.
func (s *magnumService) setNodegroupCount(clusterID, nodegroup string, n int) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(clusterID)
	if err != nil {
		return err
	}
	ng, aerr := findNodegroup(c, nodegroup)
	if aerr != nil {
		return aerr
	}
	ng.nodeCount = int64(n)
	ng.updatedAt = timePtr(s.now())
	return nil
}

// deleteClusterOutOfBand removes a cluster at once, as if it had been
// deleted elsewhere; its stack is deleted in the background.
func (s *magnumService) deleteClusterOutOfBand(id string) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if c.heatStackID != "" && s.heat != nil {
		if err := s.heat.DeleteStack(c.heatStackID, time.Nanosecond); err != nil && !errors.Is(err, heat.ErrNotFound) {
			s.logf("cluster %s: deleting stack %s out of band: %v", c.name, c.heatStackID, err)
		}
	}
	s.cond.destroy(c)
	return nil
}

// rotateCAOutOfBand rotates the cluster's CA the way PATCH
// /v1/certificates does, including the resulting status change.
func (s *magnumService) rotateCAOutOfBand(id string) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if aerr := s.cond.rotateCA(c); aerr != nil {
		return errors.New(aerr.detail)
	}
	return nil
}

// healthSaved are the statuses whose clusters Magnum's health check polls
// (service/periodic.py sync_cluster_health_status).
var healthSaved = map[string]bool{"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "UPDATE_IN_PROGRESS": true, "ROLLBACK_IN_PROGRESS": true}

// saveHealthOutOfBand is one pass of the health check on a cluster whose
// monitor answers: health_status and health_status_reason are set anew
// and the cluster saved, which moves updated_at even when they are what
// they were (oslo.versionedobjects counts every assignment as a change).
func (s *magnumService) saveHealthOutOfBand(id string) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if !healthSaved[c.status] {
		return fmt.Errorf("cluster %s is %s, which the health check does not poll", c.name, c.status)
	}
	reason := newPyDict()
	reason.Set("api", "ok")
	c.healthStatus, c.healthReason, c.updatedAt = "HEALTHY", reason, timePtr(s.now())
	return nil
}
