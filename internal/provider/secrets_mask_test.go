package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// TestMaskSecretsCoversKubeconfigs checks the forms a key takes inside a
// kubeconfig, and that an unconfigured provider still masks keys.
func TestMaskSecretsCoversKubeconfigs(t *testing.T) {
	t.Parallel()
	keyPEM := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeymaterial\n-----END EC PRIVATE KEY-----\n"
	encoded := base64.StdEncoding.EncodeToString([]byte(keyPEM))
	kubeconfig := "users:\n- name: admin\n  user:\n    client-key-data: " + encoded + "\n"
	cases := []struct {
		name string
		data *ProviderData
	}{
		{"configured", &ProviderData{secrets: []string{"pw-1"}}},
		{"unconfigured", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			ctx := tc.data.MaskSecrets(tflogtest.RootLogger(context.Background(), &out))
			tflog.Debug(ctx, "rendered "+kubeconfig, map[string]any{"file": kubeconfig, "raw_config": "anything"})
			logged := out.String()
			for _, leak := range []string{encoded[20:60], "Keymaterial", "anything"} {
				if strings.Contains(logged, leak) {
					t.Errorf("log holds %q:\n%s", leak, logged)
				}
			}
			if !strings.Contains(logged, "rendered users:") {
				t.Errorf("the message itself was lost:\n%s", logged)
			}
		})
	}
}

// TestEveryEntryPointMasksSecrets keeps new resources, data sources and
// ephemeral resources honest: every method Terraform calls with a context
// that can reach the API must register the masks before anything else, or
// a TRACE log may carry what it logs.
func TestEveryEntryPointMasksSecrets(t *testing.T) {
	t.Parallel()
	entryPoints := map[string]bool{
		"Create": true, "Read": true, "Update": true, "Delete": true,
		"ImportState": true, "ModifyPlan": true, "Open": true, "Renew": true, "Close": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !entryPoints[fn.Name.Name] || !takesResponse(fn) {
				continue
			}
			checked++
			if !startsWithMask(fn) {
				t.Errorf("%s: %s.%s does not start with ctx = ....data.MaskSecrets(ctx)",
					fset.Position(fn.Pos()), receiverType(fn), fn.Name.Name)
			}
		}
	}
	// Two resources with six entry points, two data sources, one
	// ephemeral resource: far more than this, or the scan found nothing.
	if checked < 12 {
		t.Fatalf("found only %d entry points; the scan is broken", checked)
	}

	// And the check itself tells a masked entry point from one that masks
	// too late.
	src := `package p
func (r *x) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.MaskSecrets(ctx)
}
func (r *x) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	tflog.Debug(ctx, "x")
	ctx = r.data.MaskSecrets(ctx)
}`
	f, err := parser.ParseFile(fset, "probe.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		fn := decl.(*ast.FuncDecl)
		if got, want := startsWithMask(fn), fn.Name.Name == "Read"; got != want || !takesResponse(fn) {
			t.Errorf("probe %s: startsWithMask = %v, want %v", fn.Name.Name, got, want)
		}
	}
}

// takesResponse tells the framework's entry points (ctx, request, *response)
// from helpers that happen to share a name.
func takesResponse(fn *ast.FuncDecl) bool {
	params := fn.Type.Params.List
	if len(params) != 3 {
		return false
	}
	star, ok := params[2].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && strings.HasSuffix(sel.Sel.Name, "Response")
}

func startsWithMask(fn *ast.FuncDecl) bool {
	if fn.Body == nil || len(fn.Body.List) == 0 {
		return false
	}
	assign, ok := fn.Body.List[0].(*ast.AssignStmt)
	if !ok || len(assign.Lhs) != 1 || len(assign.Rhs) != 1 {
		return false
	}
	if id, ok := assign.Lhs[0].(*ast.Ident); !ok || id.Name != "ctx" {
		return false
	}
	call, ok := assign.Rhs[0].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "MaskSecrets"
}

func receiverType(fn *ast.FuncDecl) string {
	t := fn.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return "?"
}
