package magnum

import (
	"bytes"
	"encoding/json"
)

// This package's request types are gophercloud's containerinfra/v1
// OptsBuilders, so gophercloud's calls send them. Its own CreateOpts
// types cannot stand in: they lack node_labels and node_taints, send
// "name": "" and "create_timeout": null where Magnum should apply its
// default, cannot send an explicit empty keypair, default an upgrade's
// max_batch_size, and validate a certificate request before it is sent.

func (o ClusterCreate) ToClusterCreateMap() (map[string]any, error)         { return toMap(o) }
func (o ClusterTemplateCreate) ToClusterCreateMap() (map[string]any, error) { return toMap(o) }
func (o NodeGroupCreate) ToNodeGroupCreateMap() (map[string]any, error)     { return toMap(o) }
func (o ResizeOpts) ToClusterResizeMap() (map[string]any, error)            { return toMap(o) }
func (o UpgradeOpts) ToClustersUpgradeMap() (map[string]any, error)         { return toMap(o) }
func (o signRequest) ToCertificateCreateMap() (map[string]any, error)       { return toMap(o) }
func (op PatchOp) ToClustersUpdateMap() (map[string]any, error)             { return toMap(op) }
func (op PatchOp) ToClusterTemplateUpdateMap() (map[string]any, error)      { return toMap(op) }
func (op PatchOp) ToResourceUpdateMap() (map[string]any, error)             { return toMap(op) }

// signRequest is the body of POST /v1/certificates.
type signRequest struct {
	ClusterUUID string `json:"cluster_uuid"`
	CSR         string `json:"csr"`
}

// toMap renders v as its JSON object, keeping integers exact.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
