// Package heat reads Heat stacks for diagnostics: why a Magnum cluster
// failed and how far its stack has come. Every call is best effort; the
// caller reports its errors beside, never instead of, the Magnum error.
package heat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// ErrNoHeat means the cloud has no orchestration endpoint, as on clouds
// whose Magnum runs a Cluster API driver.
var ErrNoHeat = errors.New("heat: this cloud has no orchestration endpoint in its catalog")

// Client reads stacks. A nil *Client is valid and answers ErrNoHeat, so
// callers need not check whether the cloud has Heat.
type Client struct {
	pc   *gophercloud.ProviderClient
	base string // ".../v1/{project}/", ending in "/"
}

// New finds the orchestration endpoint (or uses endpointOverride). It
// returns (nil, ErrNoHeat) when the catalog has none, and sends no request.
func New(pc *gophercloud.ProviderClient, region string, availability gophercloud.Availability, endpointOverride string) (*Client, error) {
	if pc == nil {
		return nil, errors.New("heat: provider client is required")
	}
	endpoint := endpointOverride
	if endpoint == "" {
		if pc.EndpointLocator == nil {
			return nil, ErrNoHeat
		}
		eo := gophercloud.EndpointOpts{Region: region, Availability: availability}
		eo.ApplyDefaults("orchestration")
		eo.Version = 0 // no discovery request
		u, err := pc.EndpointLocator(eo)
		if err != nil {
			var nf *gophercloud.ErrEndpointNotFound
			if errors.As(err, &nf) {
				return nil, ErrNoHeat
			}
			return nil, fmt.Errorf("heat: finding the orchestration endpoint: %w", err)
		}
		endpoint = u
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("heat: invalid orchestration endpoint %q", endpoint)
	}
	return &Client{pc: pc, base: strings.TrimRight(endpoint, "/") + "/"}, nil
}

// Output is one stack output.
type Output struct {
	Key         string `json:"output_key"`
	Value       any    `json:"output_value"`
	Description string `json:"description"`
	Error       string `json:"output_error"`
}

// Stack is the part of a Heat stack diagnostics use.
type Stack struct {
	ID           string            `json:"id"`
	Name         string            `json:"stack_name"`
	Status       string            `json:"stack_status"`
	StatusReason string            `json:"stack_status_reason"`
	Outputs      []Output          `json:"outputs"`
	Parameters   map[string]string `json:"parameters"`
	CreationTime string            `json:"creation_time"`
	UpdatedTime  string            `json:"updated_time"`
	TimeoutMins  int               `json:"timeout_mins"`
}

// GetStack reads a stack by id (or name). Heat answers the id-only URL
// with a 302 to /stacks/{name}/{id}; the HTTP client follows it and keeps
// the token only on the same origin.
func (c *Client) GetStack(ctx context.Context, id string) (*Stack, error) {
	if c == nil {
		return nil, ErrNoHeat
	}
	var out struct {
		Stack Stack `json:"stack"`
	}
	if err := c.get(ctx, "stacks/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out.Stack, nil
}

// Resource is one stack resource, possibly from a nested stack.
type Resource struct {
	Name         string `json:"resource_name"`
	LogicalID    string `json:"logical_resource_id"`
	PhysicalID   string `json:"physical_resource_id"`
	Type         string `json:"resource_type"`
	Status       string `json:"resource_status"`
	StatusReason string `json:"resource_status_reason"`
	// ParentResource names the resource of the parent stack that owns
	// this resource's (nested) stack; empty at the top.
	ParentResource string   `json:"parent_resource"`
	RequiredBy     []string `json:"required_by"`
	CreationTime   string   `json:"creation_time"`
	UpdatedTime    string   `json:"updated_time"`
	Links          []struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	} `json:"links"`
}

// stackOf is the id of the stack the resource lives in ("stack" link).
func (r Resource) stackOf() string { return r.linkedStack("stack") }

// nestedStack is the id of the stack this resource owns ("nested" link).
func (r Resource) nestedStack() string { return r.linkedStack("nested") }

func (r Resource) linkedStack(rel string) string {
	for _, l := range r.Links {
		if l.Rel == rel {
			u, err := url.Parse(l.Href)
			if err != nil {
				return ""
			}
			p := strings.TrimRight(u.Path, "/")
			return p[strings.LastIndexByte(p, '/')+1:]
		}
	}
	return ""
}

// Resources lists a stack's resources down to nestedDepth levels of
// nested stacks.
func (c *Client) Resources(ctx context.Context, stackID string, nestedDepth int) ([]Resource, error) {
	return c.resources(ctx, stackID, nestedDepth, "")
}

// FailedResources lists the resources in a FAILED state, nested ones
// included down to nestedDepth (Magnum itself uses 2).
func (c *Client) FailedResources(ctx context.Context, stackID string, nestedDepth int) ([]Resource, error) {
	return c.resources(ctx, stackID, nestedDepth, "FAILED")
}

func (c *Client) resources(ctx context.Context, stackID string, nestedDepth int, status string) ([]Resource, error) {
	if c == nil {
		return nil, ErrNoHeat
	}
	q := url.Values{}
	if nestedDepth > 0 {
		q.Set("nested_depth", fmt.Sprint(nestedDepth))
	}
	if status != "" {
		q.Set("status", status)
	}
	var out struct {
		Resources []Resource `json:"resources"`
	}
	if err := c.get(ctx, "stacks/"+url.PathEscape(stackID)+"/resources", q, &out); err != nil {
		return nil, err
	}
	return out.Resources, nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := c.pc.Request(ctx, http.MethodGet, u, &gophercloud.RequestOpts{OkCodes: []int{200}, KeepResponseBody: true})
	if err != nil {
		return magnum.ConvertError("Heat", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("Heat API: GET %s: %w", u, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("Heat API: GET %s: cannot decode the response: %w", u, err)
	}
	return nil
}
